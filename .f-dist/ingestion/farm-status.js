/** Combines a connection snapshot and a tracker status into one printer's status. Pure. */
export function printerStatus(printer, connection, tracker, now) {
    const lastReportAt = tracker.lastReportAt ?? connection.lastReportAt;
    return {
        name: printer.name,
        serial: printer.serial,
        connected: connection.connected,
        trust: connection.trust,
        fingerprint: connection.fingerprint,
        connectedSince: connection.connectedSince,
        lastReportAt,
        lastReportAgeS: lastReportAt === null
            ? null
            : Math.max(0, Math.round((now.getTime() - Date.parse(lastReportAt)) / 1000)),
        reports: connection.reports,
        connects: connection.connects,
        lastError: connection.lastError,
        currentJob: tracker.currentJob,
        badInput: { ...tracker.badInput },
    };
}
/** `garage (01P…): connected, last report 3 s ago, printing "Benchy" 42 %, 2 bad reports`. Pure. */
export function formatStatusLine(status) {
    const parts = [];
    parts.push(status.connected ? 'connected' : `disconnected${status.lastError ? ` (${status.lastError})` : ''}`);
    parts.push(status.lastReportAgeS === null ? 'no report yet' : `last report ${formatAge(status.lastReportAgeS)} ago`);
    const job = status.currentJob;
    if (job) {
        const name = job.subtaskName ?? job.name ?? job.jobKey ?? 'a job';
        const progress = typeof job.progressPercent === 'number' ? ` ${job.progressPercent} %` : '';
        parts.push(`${job.status === 'paused' ? 'paused' : 'printing'} "${name}"${progress}`);
    }
    else {
        parts.push('no job');
    }
    const bad = Object.values(status.badInput).reduce((sum, count) => sum + count, 0);
    if (bad > 0)
        parts.push(`${bad} bad report${bad === 1 ? '' : 's'}`);
    return `${status.name} (${status.serial}): ${parts.join(', ')}`;
}
function formatAge(seconds) {
    if (seconds < 120)
        return `${seconds} s`;
    if (seconds < 7200)
        return `${Math.round(seconds / 60)} min`;
    return `${Math.round(seconds / 3600)} h`;
}
//# sourceMappingURL=farm-status.js.map