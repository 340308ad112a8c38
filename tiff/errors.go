package tiff

// FormatError reports a malformed file.
type FormatError string

// Error implements error.
func (e FormatError) Error() string { return "tiff: invalid format: " + string(e) }

// UnsupportedError reports a valid file using a feature not handled here.
type UnsupportedError string

// Error implements error.
func (e UnsupportedError) Error() string { return "tiff: unsupported feature: " + string(e) }
