/**
 * Stable job keys. A cloud job carries real ids; LAN and SD-card prints carry "0" or "" (already null
 * here), so their key is minted once, at the start transition, and stored in jobs_raw so that a
 * restarted listener re-attaches to the same row instead of minting another.
 */
/** The first real id of a job, in the order job_id, subtask_id, task_id. */
export function primaryId(ids) {
    return ids.jobId ?? ids.subtaskId ?? ids.taskId;
}
/** True when both carry an id of the same kind and every such pair is equal. */
export function idsMatch(a, b) {
    const pairs = [
        [a.jobId, b.jobId],
        [a.subtaskId, b.subtaskId],
        [a.taskId, b.taskId],
    ].filter(([x, y]) => x !== null && y !== null);
    return pairs.length > 0 && pairs.every(([x, y]) => x === y);
}
/**
 * The key for a job starting now: `serial:id` when the printer gave an id, else
 * `serial:local:startedAt:name`. `taken` guards against reuse (a printer-local counter that restarted,
 * two starts in one millisecond): the same key is never given to two jobs.
 */
export function mintJobKey(serial, ids, startedAt, name, taken) {
    const id = primaryId(ids);
    const base = id !== null ? `${serial}:${id}` : `${serial}:local:${startedAt}:${name}`;
    let key = base;
    for (let n = 2; taken(key); n++)
        key = `${base}#${n}`;
    return key;
}
//# sourceMappingURL=job-key.js.map