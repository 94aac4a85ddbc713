/** print_error codes of a user cancel: 0300_400C "The task was canceled.", 0500_400E "Printing was cancelled." */
export const CANCEL_CODES = [50348044, 83902478];
/** How far apart FAILED and a cancel code may arrive and still be one cancel. */
export const CANCEL_WINDOW_MS = 10_000;
/**
 * True when this report brings a cancel code that was not already latched: in print_error, or in
 * fail_reason (how a P2S reports a stop). A full report repeats latched values; they do not count again.
 */
export function cancelCodeArrived(report, previous) {
    return ['print_error', 'fail_reason'].some((field) => isCancelCode(report[field]) && Number(previous?.[field]) !== Number(report[field]));
}
export function cancelCodeOf(report) {
    for (const value of [report.print_error, report.fail_reason]) {
        if (isCancelCode(value))
            return Number(value);
    }
    return null;
}
function isCancelCode(value) {
    return (typeof value === 'number' || typeof value === 'string') && CANCEL_CODES.includes(Number(value));
}
//# sourceMappingURL=cancel-codes.js.map