import { EventEmitter } from 'node:events';

/**
 * An EventEmitter whose event names and payloads are checked by the compiler (after MQTT.js's
 * TypedEmitter). `Events` maps each event name to its listener's argument list.
 */
export class TypedEmitter<Events extends Record<keyof Events, unknown[]>> {
  private readonly emitter = new EventEmitter();

  on<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof Events & string>(event: E, listener: (...args: Events[E]) => void): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  listenerCount<E extends keyof Events & string>(event: E): number {
    return this.emitter.listenerCount(event);
  }

  protected emit<E extends keyof Events & string>(event: E, ...args: Events[E]): boolean {
    return this.emitter.emit(event, ...args);
  }
}
