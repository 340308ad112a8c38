package store

// HostTag exposes hostTag to the external tests.
var HostTag = hostTag
