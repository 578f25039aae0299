/** Serializers, as in `@restatedev/restate-sdk`'s `serde` namespace. */

export interface Serde<T> {
  contentType?: string;
  jsonSchema?: object;
  serialize(value: T): Uint8Array;
  deserialize(data: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

class JsonSerde<T> implements Serde<T | undefined> {
  contentType = "application/json";
  serialize(value: T | undefined): Uint8Array {
    if (value === undefined) return new Uint8Array(0);
    return encoder.encode(JSON.stringify(value));
  }
  deserialize(data: Uint8Array): T | undefined {
    if (data.length === 0) return undefined;
    return JSON.parse(decoder.decode(data)) as T;
  }
}

class BinarySerde implements Serde<Uint8Array> {
  contentType = "application/octet-stream";
  serialize(value: Uint8Array): Uint8Array {
    return value;
  }
  deserialize(data: Uint8Array): Uint8Array {
    return data;
  }
}

class VoidSerde implements Serde<void> {
  serialize(value: unknown): Uint8Array {
    if (value !== undefined) throw new TypeError("serde.empty only serializes undefined");
    return new Uint8Array(0);
  }
  deserialize(data: Uint8Array): void {
    if (data.length !== 0) throw new TypeError("serde.empty expected an empty body");
  }
}

export const serde = {
  json: new JsonSerde<any>() as Serde<any>,
  binary: new BinarySerde() as Serde<Uint8Array>,
  empty: new VoidSerde() as Serde<void>,
};

export function utf8(data: Uint8Array): string {
  return decoder.decode(data);
}
