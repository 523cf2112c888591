// Reported by `kamal-proxy version`; the major/minor track the kamal-proxy contract we follow.
export const VERSION = "0.1.2";
