import { EventEmitter } from 'node:events';
/**
 * An EventEmitter whose event names and payloads are checked by the compiler (after MQTT.js's
 * TypedEmitter). `Events` maps each event name to its listener's argument list.
 */
export class TypedEmitter {
    emitter = new EventEmitter();
    on(event, listener) {
        this.emitter.on(event, listener);
        return this;
    }
    once(event, listener) {
        this.emitter.once(event, listener);
        return this;
    }
    off(event, listener) {
        this.emitter.off(event, listener);
        return this;
    }
    listenerCount(event) {
        return this.emitter.listenerCount(event);
    }
    emit(event, ...args) {
        return this.emitter.emit(event, ...args);
    }
}
//# sourceMappingURL=typed-emitter.js.map