/**
 * The job with what this report adds. Empty values never replace known ones (the printer blanks the
 * file name and zeroes progress and layers at the end), and descriptive fields only change while printing.
 */
export function updated(job, view, progress, printing) {
    const next = { ...job, gcodeState: view.gcodeState ?? job.gcodeState };
    if (printing) {
        next.name = view.name ?? job.name;
        next.gcodeFile = view.gcodeFile ?? job.gcodeFile;
        next.printType = view.printType ?? job.printType;
        // Newest ids win: at PREPARE a delta may still show the previous job's, until the new ones arrive.
        next.jobId = view.jobId ?? job.jobId;
        next.subtaskId = view.subtaskId ?? job.subtaskId;
        next.taskId = view.taskId ?? job.taskId;
        next.nozzleDiameter = view.nozzleDiameter ?? job.nozzleDiameter;
        next.nozzleType = view.nozzleType ?? job.nozzleType;
        next.filamentType = view.filamentType ?? job.filamentType;
        next.filamentColor = view.filamentColor ?? job.filamentColor;
    }
    if (view.printError !== null && view.printError !== 0)
        next.printError = view.printError;
    else if (next.printError === null && view.printError === 0)
        next.printError = 0;
    next.progressPercent = keepValid(job.progressPercent, progress.progressPercent);
    next.layerNum = keepValid(job.layerNum, progress.layerNum);
    next.totalLayers = keepValid(job.totalLayers, progress.totalLayers);
    if (progress.remainingMin !== null && printing)
        next.remainingMin = progress.remainingMin;
    return next;
}
function keepValid(known, reported) {
    if (reported === null)
        return known;
    if (reported === 0 && known !== null)
        return known;
    return reported;
}
/**
 * The job ended at `at`. A job that ended while the listener was away gets the time it was noticed: an
 * upper bound, as a first-seen start is a lower bound. A clock set back (NTP) never puts the end
 * before the start.
 */
export function close(job, status, at) {
    const endedAt = at < job.startedAt ? job.startedAt : at;
    return {
        job: { ...job, status, endedAt },
        transition: { event: status, fromStatus: job.status, toStatus: status },
    };
}
export function startTransition(job) {
    return { event: 'started', fromStatus: null, toStatus: job.status };
}
/** A job just opened: nothing known yet but its key, status and start. */
export function newJob(jobKey, status, startedAt, startApproximate) {
    return {
        jobKey,
        status,
        startedAt,
        endedAt: null,
        startApproximate,
        taskId: null,
        subtaskId: null,
        jobId: null,
        name: null,
        gcodeFile: null,
        printType: null,
        gcodeState: null,
        progressPercent: null,
        layerNum: null,
        totalLayers: null,
        remainingMin: null,
        printError: null,
        nozzleDiameter: null,
        nozzleType: null,
        filamentType: null,
        filamentColor: null,
    };
}
//# sourceMappingURL=job-record.js.map