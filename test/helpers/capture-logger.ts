// A host Logger for integration suites that keeps every record (with the bindings of its
// children) in memory, including a plugin's forwarded stderr lines: the unit tests' own.
export { captureLogger, type LogRecord } from "../../host/src/testing/capturing-logger.ts";
