import { isObject } from './report-parser.js';
/**
 * Folds a report into the last known state of a printer. P1/A1 and newer firmware send deltas that
 * carry only the keys that changed, sometimes as partial sub-objects, so a missing key is never a
 * cleared value. Pure: neither argument is modified.
 *
 * - A full report (msg 0, or a push_status with ≥ 40 keys) replaces the state: it is the whole truth.
 * - Objects merge key by key, recursively.
 * - Lists of objects with an `id` (AMS units, trays, vir_slot) merge entry by entry on `id`; an entry
 *   that is only `{"id": …}` is an empty slot and replaces what the slot held.
 * - Anything else (numbers, strings, other lists) replaces the old value.
 */
export function mergeState(previous, report, full) {
    if (full || previous === undefined)
        return copyObject(report);
    return mergeObjects(previous, report);
}
function mergeObjects(previous, delta) {
    if (Object.keys(previous).length + Object.keys(delta).length > MAX_KEYS)
        return copyObject(delta);
    const merged = copyObject(previous);
    for (const [key, value] of Object.entries(delta)) {
        // JSON.parse makes "__proto__" an own key; assigning it would replace the prototype instead.
        if (key === '__proto__')
            continue;
        merged[key] = mergeValue(merged[key], value);
    }
    return merged;
}
function mergeValue(previous, next) {
    if (isObject(previous) && isObject(next))
        return mergeObjects(previous, next);
    // An empty list is a real value (no HMS codes, no AMS), not an absence.
    if (Array.isArray(previous) &&
        Array.isArray(next) &&
        next.length > 0 &&
        isIdList(previous) &&
        isIdList(next)) {
        return mergeById(previous, next);
    }
    return next;
}
/**
 * Bounds on what deltas can accumulate (a real state has ~100 keys and a few AMS units), so that a
 * printer sending ever-new keys or ids cannot grow the state of a long-running listener without end.
 */
const MAX_KEYS = 1024;
const MAX_ID_ENTRIES = 64;
function mergeById(previous, next) {
    if (previous.length + next.length > MAX_ID_ENTRIES)
        return next;
    const merged = previous.slice();
    for (const entry of next) {
        const index = merged.findIndex((old) => String(old.id) === String(entry.id));
        if (index === -1)
            merged.push(entry);
        else if (Object.keys(entry).length === 1)
            merged[index] = entry;
        else
            merged[index] = mergeObjects(merged[index], entry);
    }
    return merged;
}
function isIdList(list) {
    return list.every((entry) => isObject(entry) && (typeof entry.id === 'string' || typeof entry.id === 'number'));
}
function copyObject(source) {
    const copy = {};
    for (const [key, value] of Object.entries(source)) {
        if (key !== '__proto__')
            copy[key] = value;
    }
    return copy;
}
//# sourceMappingURL=state-merge.js.map