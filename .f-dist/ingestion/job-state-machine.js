import { CANCEL_WINDOW_MS, cancelCodeArrived, cancelCodeOf } from './cancel-codes.js';
import { idsMatch, mintJobKey } from './job-key.js';
import { close, newJob, startTransition, updated } from './job-record.js';
import { progressOf, viewOf } from './printer-view.js';
export function initialMachineState() {
    return {
        syncPending: true,
        gcodeState: null,
        job: null,
        awaitingStart: null,
        ignoring: false,
        cancelSeenAtMs: null,
        lastFailed: null,
        jobWrittenAtMs: Number.NEGATIVE_INFINITY,
        jobWrittenSignature: '',
    };
}
/**
 * Decides what one report means for the job of one printer: the next machine state and the rows
 * to write. Pure given its inputs (the two callbacks only read the database).
 */
export function step(machine, input) {
    const m = { ...machine };
    const writes = [];
    const nowMs = input.now.getTime();
    const at = input.now.toISOString();
    const view = viewOf(input.merged);
    const progress = progressOf(input.report);
    if (cancelCodeArrived(input.report, input.previous))
        m.cancelSeenAtMs = nowMs;
    const phase = phaseOf(view.gcodeState);
    if (m.syncPending) {
        // Wait for a report that states the printer's state itself: right after a reconnect the merged
        // state still holds what was true before the disconnect.
        if (phase !== 'unknown' && (input.full || Object.hasOwn(input.report, 'gcode_state'))) {
            sync(m, view, input, at, writes);
            m.syncPending = false;
            m.gcodeState = view.gcodeState;
        }
    }
    else if (phase !== 'unknown' && view.gcodeState !== m.gcodeState) {
        m.gcodeState = view.gcodeState;
        transition(m, phase, view, progress, input, at, nowMs, writes);
    }
    else if (m.job === null && !m.ignoring && (phase === 'printing' || phase === 'paused')) {
        // Still waiting for a name to open the job under.
        tryStart(m, phase, view, progress, input, at);
        if (m.job)
            writes.push({ job: m.job, transition: startTransition(m.job) });
    }
    if (m.job !== null &&
        (phase === 'printing' || phase === 'paused') &&
        !writes.some((w) => w.job === m.job)) {
        m.job = updated(m.job, view, progress, true);
    }
    lateCancel(m, input.report, input.previous, nowMs, writes);
    // Throttled progress write: only the open job, only when something it stores has changed.
    if (m.job !== null) {
        const signature = JSON.stringify(m.job);
        const written = writes.some((w) => w.job.jobKey === m.job?.jobKey);
        if (!written &&
            signature !== m.jobWrittenSignature &&
            nowMs - m.jobWrittenAtMs >= input.checkIntervalS * 1000) {
            writes.push({ job: m.job });
        }
    }
    if (writes.length > 0 && m.job !== null && writes.some((w) => w.job.jobKey === m.job?.jobKey)) {
        m.jobWrittenAtMs = nowMs;
        m.jobWrittenSignature = JSON.stringify(m.job);
    }
    return { machine: m, writes };
}
function transition(m, phase, view, progress, input, at, nowMs, writes) {
    if (phase === 'printing' || phase === 'paused') {
        if (m.job === null) {
            if (!m.ignoring) {
                tryStart(m, phase, view, progress, input, at);
                if (m.job)
                    writes.push({ job: m.job, transition: startTransition(m.job) });
            }
            return;
        }
        const toStatus = phase === 'paused' ? 'paused' : 'running';
        if (toStatus !== m.job.status) {
            const fromStatus = m.job.status;
            m.job = { ...updated(m.job, view, progress, true), status: toStatus };
            writes.push({
                job: m.job,
                transition: { event: toStatus === 'paused' ? 'paused' : 'resumed', fromStatus, toStatus },
            });
        }
        return;
    }
    // finished, failed or idle: whatever was printing has ended.
    m.ignoring = false;
    m.awaitingStart = null;
    if (m.job === null)
        return;
    const job = updated(m.job, view, progress, false);
    let status;
    if (phase === 'finished')
        status = 'finished';
    else if (phase === 'idle')
        status = 'cancelled'; // older P1 firmware: RUNNING -> IDLE on a stop
    else
        status = cancelledRecently(m, nowMs) ? 'cancelled' : 'failed';
    const write = close(job, status, at);
    writes.push(write);
    m.lastFailed = status === 'failed' ? { job: write.job, atMs: nowMs } : null;
    m.job = null;
}
/** The first report after a (re)connect: re-attach to the open job, or open one, or close what ended unseen. */
function sync(m, view, input, at, writes) {
    const phase = phaseOf(view.gcodeState);
    const inMemory = m.job;
    // The in-memory copy is newer than the row (progress writes are throttled).
    const open = input.openJobs().map((row) => (inMemory && row.jobKey === inMemory.jobKey ? inMemory : row));
    const progress = progressOf(input.merged);
    m.job = null;
    m.awaitingStart = null;
    m.ignoring = false;
    m.lastFailed = null;
    const printing = phase === 'printing' || phase === 'paused';
    let match;
    if (printing && !isSystemJob(view)) {
        match = open.find((job) => sameJob(job, view, progress));
    }
    else if (printing) {
        m.ignoring = true;
    }
    for (const job of open) {
        if (job === match)
            continue;
        // What the printer says now (FINISH, FAILED, IDLE) is the best hint of how the job ended.
        const seen = printing ? job : { ...job, gcodeState: view.gcodeState };
        writes.push(close(seen, 'ended_while_disconnected', at));
    }
    if (!printing || m.ignoring)
        return;
    const toStatus = phase === 'paused' ? 'paused' : 'running';
    if (match) {
        m.job = { ...updated(match, view, progress, true), status: toStatus };
        if (inMemory?.jobKey !== match.jobKey) {
            writes.push({ job: m.job, transition: { event: 'reattached', fromStatus: match.status, toStatus } });
        }
        else if (match.status !== toStatus) {
            const event = toStatus === 'paused' ? 'paused' : 'resumed';
            writes.push({ job: m.job, transition: { event, fromStatus: match.status, toStatus } });
        }
        return;
    }
    m.awaitingStart = 'approximate';
    tryStart(m, phase, view, progress, input, at);
    if (m.job)
        writes.push({ job: m.job, transition: startTransition(m.job) });
}
/** Opens a job when the printer names one; calibration and system jobs are not recorded. */
function tryStart(m, phase, view, progress, input, at) {
    if (isSystemJob(view)) {
        m.ignoring = true;
        m.awaitingStart = null;
        return;
    }
    const label = view.name ?? baseName(view.gcodeFile);
    if (label === null) {
        m.awaitingStart ??= 'exact';
        return;
    }
    const approximate = m.awaitingStart === 'approximate';
    const jobKey = mintJobKey(input.serial, view, at, label, input.keyTaken);
    const status = phase === 'paused' ? 'paused' : 'running';
    m.job = updated(newJob(jobKey, status, at, approximate), view, progress, true);
    m.awaitingStart = null;
    // A cancel code belongs to the job it ended: a new job starts with none seen.
    m.cancelSeenAtMs = null;
    m.lastFailed = null;
}
/** A cancel code that reached the printer after FAILED: the failure was a cancel. */
function lateCancel(m, report, previous, nowMs, writes) {
    const failed = m.lastFailed;
    if (failed === null ||
        !cancelCodeArrived(report, previous) ||
        writes.some((w) => w.job.jobKey === failed.job.jobKey)) {
        return;
    }
    if (nowMs - failed.atMs > CANCEL_WINDOW_MS)
        return;
    writes.push({
        job: { ...failed.job, status: 'cancelled', printError: cancelCodeOf(report) ?? failed.job.printError },
        transition: { event: 'cancelled', fromStatus: 'failed', toStatus: 'cancelled' },
    });
    m.lastFailed = null;
}
function cancelledRecently(m, nowMs) {
    return m.cancelSeenAtMs !== null && Math.abs(nowMs - m.cancelSeenAtMs) <= CANCEL_WINDOW_MS;
}
/** Re-attach only to the same job: same ids, or (LAN) same name and file with progress not gone backwards. */
function sameJob(job, view, progress) {
    if (view.jobId !== null || view.subtaskId !== null || view.taskId !== null)
        return idsMatch(job, view);
    if (job.name !== view.name)
        return false;
    if (job.gcodeFile !== null && view.gcodeFile !== null && job.gcodeFile !== view.gcodeFile)
        return false;
    const wentBack = (stored, now) => stored !== null && now !== null && now < stored;
    // The same file printed again while we were away: its progress starts over.
    return (!wentBack(job.progressPercent, progress.progressPercent) && !wentBack(job.layerNum, progress.layerNum));
}
export function isSystemJob(view) {
    return (view.gcodeFile?.startsWith('/usr/') ?? false) || view.printType === 'system';
}
function phaseOf(state) {
    switch (state) {
        case 'PREPARE':
        case 'SLICING':
        case 'RUNNING':
            return 'printing';
        case 'PAUSE':
            return 'paused';
        case 'FINISH':
            return 'finished';
        case 'FAILED':
            return 'failed';
        case 'IDLE':
            return 'idle';
        default:
            return 'unknown';
    }
}
function baseName(file) {
    if (file === null)
        return null;
    const base = file.split('/').pop() ?? '';
    return base === '' ? null : base;
}
//# sourceMappingURL=job-state-machine.js.map