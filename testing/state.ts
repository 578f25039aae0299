/**
 * State of one key of a virtual object or workflow, named as in Restate's
 * testcontainers kit. Reads wait until the environment is idle and see what
 * the key's next handler would see; writes go through the engine, serialized
 * with the key's invocations, and resolve once committed.
 */
import type { Engine } from "../runtime/engine/engine.js";
import { writeState } from "../runtime/engine/operations.js";
import { serde as serdes } from "../sdk/serde.js";
import type { SerdeLike } from "./client.js";
import { instanceKey } from "../runtime/engine/scopes.js";

export type SerdeFor<T> = SerdeLike<T>;

export class StateProxy {
  constructor(
    private readonly engine: Engine,
    private readonly service: string,
    private readonly key: string,
    private readonly settle: () => Promise<void>,
    /** Flow control: the scope whose instance of the key this is (undefined: unscoped). */
    private readonly scope?: string,
  ) {}

  private stored(): Array<[string, Uint8Array]> {
    return this.engine.readState(this.service, instanceKey(this.key, this.scope)!);
  }

  /** The value stored under `name`, or null. */
  async get<T = unknown>(name: string, serde?: SerdeFor<T>): Promise<T | null> {
    await this.settle();
    const found = this.stored().find(([n]) => n === name);
    return found ? (serde ?? (serdes.json as SerdeFor<T>)).deserialize(found[1]) : null;
  }

  /** Every value of the key, by name. */
  async getAll<T = unknown>(serde?: SerdeFor<T>): Promise<Record<string, T>> {
    await this.settle();
    const s = serde ?? (serdes.json as SerdeFor<T>);
    return Object.fromEntries(this.stored().map(([n, v]) => [n, s.deserialize(v)]));
  }

  /** Stores `value` under `name`. */
  async set<T>(name: string, value: T, serde?: SerdeFor<T>): Promise<void> {
    const bytes = (serde ?? (serdes.json as SerdeFor<T>)).serialize(value);
    await writeState(this.engine, this.service, this.key, { set: name, value: bytes }, this.scope);
  }

  /** Replaces the key's whole state with these values. */
  async setAll<T>(values: Record<string, T>, serde?: SerdeFor<T>): Promise<void> {
    const s = serde ?? (serdes.json as SerdeFor<T>);
    await writeState(this.engine, this.service, this.key, { replace: new Map(Object.entries(values).map(([n, v]) => [n, s.serialize(v)])) }, this.scope);
  }
}
