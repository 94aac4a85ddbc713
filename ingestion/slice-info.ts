import { XMLParser } from 'fast-xml-parser';
import yauzl from 'yauzl';

/** One `<filament>` of the printed plate, as the slicer estimated it for the whole plate. */
export interface SlicedFilament {
  /** The 1-based slicer slot (`id`). */
  slot: number;
  type: string | null;
  /** RRGGBBAA, as the printer writes colours. */
  color: string | null;
  trayInfoIdx: string | null;
  usedG: number | null;
  usedM: number | null;
}

export interface SliceInfo {
  plateIndex: number | null;
  predictionS: number | null;
  weightG: number | null;
  filaments: SlicedFilament[];
}

/** A .3mf whose figures cannot be read: `kind` is what the fetch status records. */
export class SliceInfoError extends Error {
  constructor(
    readonly kind: 'unreadable' | 'no_filaments',
    message: string,
  ) {
    super(message);
    this.name = 'SliceInfoError';
  }
}

const ENTRY = 'Metadata/slice_info.config';
/** slice_info.config is a few KB; anything far larger is not one. */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

/**
 * Reads Metadata/slice_info.config out of a .3mf on disk: yauzl reads the zip's central directory and
 * inflates that one entry, so a 300 MB file costs a few KB of memory. `plate` picks the printed plate
 * (from gcode_file's plate_N), else the first plate with filaments.
 */
export async function readSliceInfo(file: string, plate: number | null = null): Promise<SliceInfo> {
  const xml = await readEntry(file);
  return parseSliceInfo(xml, plate);
}

function readEntry(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: true }, (openError, zip) => {
      if (openError || !zip) {
        reject(
          new SliceInfoError(
            'unreadable',
            `the job's file is not a .3mf (zip) archive: ${openError?.message}`,
          ),
        );
        return;
      }
      let found = false;
      zip.on('error', (error: Error) =>
        reject(new SliceInfoError('unreadable', `the job's .3mf is damaged: ${error.message}`)),
      );
      zip.on('end', () => {
        if (!found)
          reject(
            new SliceInfoError(
              'no_filaments',
              `the job's .3mf has no ${ENTRY} (not sliced by Bambu Studio or OrcaSlicer?)`,
            ),
          );
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== ENTRY) {
          zip.readEntry();
          return;
        }
        found = true;
        if (entry.uncompressedSize > MAX_ENTRY_BYTES) {
          zip.close();
          reject(
            new SliceInfoError(
              'unreadable',
              `${ENTRY} is ${entry.uncompressedSize} bytes, too large to be one`,
            ),
          );
          return;
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) {
            reject(new SliceInfoError('unreadable', `cannot inflate ${ENTRY}: ${streamError?.message}`));
            return;
          }
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', (error) =>
            reject(new SliceInfoError('unreadable', `cannot inflate ${ENTRY}: ${error.message}`)),
          );
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
        });
      });
      zip.readEntry();
    });
  });
}

type XmlNode = Record<string, unknown>;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // A plate with one filament must still be a list.
  isArray: (name) => ['plate', 'metadata', 'filament', 'object', 'header_item'].includes(name),
  processEntities: false,
});

/** Parses slice_info.config text (pure; exported for tests). */
export function parseSliceInfo(xml: string, plate: number | null = null): SliceInfo {
  let root: XmlNode;
  try {
    root = parser.parse(xml) as XmlNode;
  } catch (error) {
    throw new SliceInfoError('unreadable', `${ENTRY} is not valid XML: ${(error as Error).message}`);
  }
  const config = root.config as XmlNode | undefined;
  const plates = (Array.isArray(config?.plate) ? config.plate : []) as XmlNode[];
  const described = plates.map((node) => {
    const meta = new Map(
      ((node.metadata ?? []) as XmlNode[]).map((m) => [String(m.key), String(m.value)] as const),
    );
    return {
      plateIndex: integer(meta.get('index')),
      predictionS: integer(meta.get('prediction')),
      weightG: decimal(meta.get('weight')),
      filaments: ((node.filament ?? []) as XmlNode[]).map(filamentOf).filter((f) => f !== null),
    };
  });
  const chosen =
    (plate !== null ? described.find((p) => p.plateIndex === plate) : undefined) ??
    described.find((p) => p.filaments.length > 0);
  if (!chosen || chosen.filaments.length === 0) {
    throw new SliceInfoError('no_filaments', `${ENTRY} lists no filament for the printed plate`);
  }
  return chosen;
}

function filamentOf(node: XmlNode): SlicedFilament | null {
  const slot = integer(node.id);
  if (slot === null || slot < 1) return null;
  const color = typeof node.color === 'string' ? node.color.replace(/^#/, '').toUpperCase() : '';
  return {
    slot,
    type: typeof node.type === 'string' && node.type !== '' ? node.type : null,
    color: /^[0-9A-F]{6}$/.test(color) ? `${color}FF` : /^[0-9A-F]{8}$/.test(color) ? color : null,
    trayInfoIdx: typeof node.tray_info_idx === 'string' ? node.tray_info_idx : null,
    usedG: decimal(node.used_g),
    usedM: decimal(node.used_m),
  };
}

function decimal(value: unknown): number | null {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) && n >= 0 ? n : null;
}

function integer(value: unknown): number | null {
  const n = decimal(value);
  return n !== null && Number.isInteger(n) ? n : null;
}
