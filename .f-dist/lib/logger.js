/** Logs to stderr with an ISO timestamp and a component tag, after removing every secret it was given. */
export function consoleLogger(component, secrets = []) {
    const line = (level, message) => `${new Date().toISOString()} ${level} [${component}] ${redactSecrets(message, secrets)}`;
    return {
        info: (message) => console.error(line('info ', message)),
        warn: (message) => console.error(line('warn ', message)),
        error: (message) => console.error(line('error', message)),
    };
}
/** Replaces each secret (an access code, a token) with a mask wherever it appears in `text`. */
export function redactSecrets(text, secrets) {
    let out = text;
    for (const secret of secrets) {
        if (secret.length > 0)
            out = out.split(secret).join('********');
    }
    return out;
}
/** A logger that keeps what it is told, for tests. */
export function recordingLogger() {
    const lines = [];
    return {
        lines,
        info: (m) => lines.push(`info ${m}`),
        warn: (m) => lines.push(`warn ${m}`),
        error: (m) => lines.push(`error ${m}`),
    };
}
//# sourceMappingURL=logger.js.map