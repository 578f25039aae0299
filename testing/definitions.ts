/**
 * Handler types of a definition, for the typed test clients. A definition made
 * by restate-dev's SDK carries its handlers in its type (`service?: M`); one
 * typed by `@restatedev/restate-sdk` (a project type-checks against the real
 * SDK) carries them only as a type argument, which the real SDK's own
 * `Service<D>`-style helpers recover. When neither does (the real SDK is not
 * installed, or a different copy of it), the client is untyped.
 */
import type * as RealSdk from "@restatedev/restate-sdk";

export type AnyHandler = (ctx: any, input?: any) => Promise<any>;
export type UntypedHandlers = Record<string, AnyHandler>;

type Own<D, K extends string> = D extends { readonly [P in K]?: infer M } ? M : unknown;
type Either<Own, Real> = unknown extends Own ? (unknown extends Real ? UntypedHandlers : Real) : Own;

export type ServiceHandlersOf<D> = Either<Own<D, "service">, RealSdk.Service<D>>;
export type ObjectHandlersOf<D> = Either<Own<D, "object">, RealSdk.VirtualObject<D>>;
export type WorkflowHandlersOf<D> = Either<Own<D, "workflow">, RealSdk.Workflow<D>>;

/** What every definition has: its name. */
export interface NamedDefinition {
  readonly name: string;
}
