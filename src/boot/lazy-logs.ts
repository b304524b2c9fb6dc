// A LoggerProvider that loads the logs SDK on the first record emitted. Most processes never
// emit an OpenTelemetry log record (only the pino, winston and bunyan instrumentations and
// the API do), and the SDK with its exporter costs a few milliseconds to load at start-up.
import type { Logger, LoggerOptions, LoggerProvider, LogRecord } from '@opentelemetry/api';
import type { LoggerProvider as SdkLoggerProvider } from '@opentelemetry/sdk-logs';

export class LazyLoggerProvider implements LoggerProvider {
  readonly #create: () => SdkLoggerProvider;
  #real: SdkLoggerProvider | undefined;

  constructor(create: () => SdkLoggerProvider) {
    this.#create = create;
  }

  get loaded(): SdkLoggerProvider | undefined {
    return this.#real;
  }

  #provider(): SdkLoggerProvider {
    return (this.#real ??= this.#create());
  }

  getLogger(name: string, version?: string, options?: LoggerOptions): Logger {
    let real: Logger | undefined;
    const get = (): Logger => (real ??= this.#provider().getLogger(name, version, options));
    return {
      emit: (record: LogRecord) => get().emit(record),
      enabled: (opts) => get().enabled(opts),
    };
  }

  forceFlush(): Promise<void> {
    return this.#real?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.#real?.shutdown() ?? Promise.resolve();
  }
}
