import { strToU8, type Zippable, zipSync } from 'fflate';

/** One filament of a simulated plate, as Bambu Studio writes it in slice_info.config. */
export interface PlateFilament {
  slot: number;
  type: string;
  /** #RRGGBB */
  color: string;
  usedG: number;
  usedM: number;
}

export interface PlateSpec {
  index?: number;
  predictionS: number;
  filaments: PlateFilament[];
}

/** Metadata/slice_info.config for the plates, in the shape Bambu Studio 1.9 writes. */
export function sliceInfoXml(plates: readonly PlateSpec[]): string {
  const body = plates
    .map((plate, i) => {
      const weight = plate.filaments.reduce((sum, f) => sum + f.usedG, 0);
      const filaments = plate.filaments
        .map(
          (f) =>
            `    <filament id="${f.slot}" tray_info_idx="GFL99" type="${f.type}" color="${f.color}" used_m="${f.usedM.toFixed(2)}" used_g="${f.usedG.toFixed(2)}" />`,
        )
        .join('\n');
      return [
        '  <plate>',
        `    <metadata key="index" value="${plate.index ?? i + 1}"/>`,
        `    <metadata key="prediction" value="${plate.predictionS}"/>`,
        `    <metadata key="weight" value="${weight.toFixed(2)}"/>`,
        filaments,
        '  </plate>',
      ].join('\n');
    })
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<config>\n  <header>\n    <header_item key="X-BBL-Client-Type" value="slicer"/>\n  </header>\n${body}\n</config>\n`;
}

/**
 * A .3mf (a zip) like the ones the printers keep: a 3D model part, the slicer's config, and
 * Metadata/slice_info.config. `padding` adds incompressible bytes, for tests of large files.
 */
export function buildThreeMf(options: { xml: string; padding?: number }): Uint8Array {
  const files: Zippable = {
    '[Content_Types].xml': strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>',
    ),
    '3D/3dmodel.model': strToU8('<?xml version="1.0" encoding="UTF-8"?><model unit="millimeter"/>'),
    'Metadata/slice_info.config': strToU8(options.xml),
    'Metadata/plate_1.gcode': strToU8('; simulated G-code\nG28\n'),
  };
  if (options.padding) {
    const noise = new Uint8Array(options.padding);
    let x = 2463534242;
    for (let i = 0; i < noise.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      noise[i] = x & 0xff;
    }
    // Stored, not deflated: deflating 40 MB of noise gains nothing and took minutes on a loaded machine.
    files['Metadata/padding.bin'] = [noise, { level: 0 }];
  }
  return zipSync(files, { level: 6 });
}
