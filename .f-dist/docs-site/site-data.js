/** `docs-data.js`: the same data for a page opened from disk, where browsers refuse `fetch` of files. */
export function dataScript(json) {
    return `window.BAMBUZLED_DOCS = ${json};\n`;
}
//# sourceMappingURL=site-data.js.map