// Names the demo's pieces share: its test bed (files under /tmp/berth-testbed/demo) and the
// example app it deploys (examples/hello in the package).

/** The test bed's name for the demo's servers. */
export const DEMO_BED = "demo";
/** Who keeps the bed running, as the notice of a test that removes it says. */
export const DEMO_KEPT_BY = "berth demo";
export const EXAMPLE_NAME = "hello";
