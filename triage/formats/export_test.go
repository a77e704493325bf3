package formats

// Internals the external tests (package formats_test) use.
var VICSExported = vicsExported
