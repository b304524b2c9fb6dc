// The require() hook of @opentelemetry/instrumentation (require-in-the-middle) is installed
// the first time an instrumentation is enabled, not at every start: loading it costs a few
// milliseconds that a script or a worker which never loads an instrumented library should not
// pay. Instrumentations are enabled from inside the resolution of their library's first
// require() (src/integrations/activate.ts), when that very require() has already passed the
// place where the new hook sits, and would return the unpatched library. So this gate, a
// plain wrapper of Module.prototype.require installed at boot, notices a require() during
// which the hook was installed and asks for the module once more, through the hook: Node's
// cache answers (the module is not loaded twice) and the hook patches it, as it would have
// had it been there from the start. Once the hook is in, the gate only passes calls on.
// Owns the gate; must not enable instrumentations or know which libraries they patch.
import { Module } from 'node:module';
import { ReflectApply } from '../primordials.ts';

type RequireFn = (this: unknown, id: string) => unknown;
interface ModulePrototype {
  require: RequireFn;
}

let installed = false;
let hooked = false;

/** Installs the gate (once per thread); `install` is what puts the require hook in. */
export function installRequireGate(): void {
  if (installed) return;
  installed = true;
  const proto = Module.prototype as unknown as ModulePrototype;
  const original = proto.require;
  const gate = function require(this: unknown, ...args: [string]): unknown {
    if (hooked) return ReflectApply(original, this, args);
    const exports = ReflectApply(original, this, args);
    // The hook arrived during this call: ask again, through the hook that now wraps the gate.
    return hooked ? ReflectApply(proto.require, this, args) : exports;
  } as RequireFn;
  Object.defineProperty(gate, 'length', { value: original.length });
  proto.require = gate;
}

/** Puts the require hook in with `install`, the first time only. */
export function hookRequire(install: () => void): void {
  if (hooked) return;
  install();
  hooked = true;
}
