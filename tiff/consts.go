package tiff

import (
	"fmt"
	"strings"
)

// Header magic and versions (TIFF 6.0 section 2; BigTIFF).
const (
	leHeader      = "II"
	beHeader      = "MM"
	classicMagic  = 42
	bigTIFFMagic  = 43
	bigOffsetSize = 8
)

// Tags used here (TIFF 6.0 and the TIFF technical notes).
const (
	tNewSubfileType            = 254
	tImageWidth                = 256
	tImageLength               = 257
	tBitsPerSample             = 258
	tCompression               = 259
	tPhotometricInterpretation = 262
	tImageDescription          = 270
	tStripOffsets              = 273
	tSamplesPerPixel           = 277
	tRowsPerStrip              = 278
	tStripByteCounts           = 279
	tXResolution               = 282
	tYResolution               = 283
	tPlanarConfiguration       = 284
	tResolutionUnit            = 296
	tSoftware                  = 305
	tPredictor                 = 317
	tExtraSamples              = 338
	tTileWidth                 = 322
	tTileLength                = 323
	tTileOffsets               = 324
	tTileByteCounts            = 325
	tSubIFDs                   = 330
	tSampleFormat              = 339
)

// Field types.
const (
	dtByte      = 1
	dtASCII     = 2
	dtShort     = 3
	dtLong      = 4
	dtRational  = 5
	dtSByte     = 6
	dtUndefined = 7
	dtSShort    = 8
	dtSLong     = 9
	dtSRational = 10
	dtFloat     = 11
	dtDouble    = 12
	dtIFD       = 13
	dtLong8     = 16
	dtSLong8    = 17
	dtIFD8      = 18
)

var typeSizes = map[uint16]int{dtByte: 1, dtASCII: 1, dtShort: 2, dtLong: 4, dtRational: 8, dtSByte: 1,
	dtUndefined: 1, dtSShort: 2, dtSLong: 4, dtSRational: 8, dtFloat: 4, dtDouble: 8, dtIFD: 4, dtLong8: 8, dtSLong8: 8, dtIFD8: 8}

// Compression is the value of the Compression tag (259; TIFF 6.0 section
// 8, page 30; 8 and 32946 from the TIFF technical note "Adobe deflate";
// 50000 as libtiff registers zstd).
type Compression uint16

// Compression schemes.
const (
	CompressionNone     Compression = 1
	CompressionLZW      Compression = 5
	CompressionJPEG     Compression = 7 // recognised, not supported
	CompressionDeflate  Compression = 8 // Adobe deflate (zlib)
	CompressionPackBits Compression = 32773
	CompressionDeflate2 Compression = 32946 // old deflate code, same stream
	CompressionZstd     Compression = 50000
)

var compressionNames = map[Compression]string{CompressionNone: "none", CompressionLZW: "lzw",
	CompressionJPEG: "jpeg", CompressionDeflate: "deflate", CompressionPackBits: "packbits",
	CompressionDeflate2: "deflate-old", CompressionZstd: "zstd"}

// String returns the scheme's name ("none", "lzw", "jpeg", "deflate",
// "packbits", "deflate-old", "zstd"), or "compression N" for a value
// not known here.
func (c Compression) String() string { return enumName(compressionNames, c, "compression %d") }

// decodable reports an UnsupportedError naming c unless this package
// decodes it.
func (c Compression) decodable() error {
	switch c {
	case CompressionNone, CompressionLZW, CompressionDeflate, CompressionDeflate2, CompressionPackBits, CompressionZstd:
		return nil
	}
	return UnsupportedError(fmt.Sprintf("compression %d (%v)", uint16(c), c))
}

// ParseCompression returns the scheme String names (case-insensitive), or
// an error naming the unknown name.
func ParseCompression(name string) (Compression, error) {
	return parseEnum(compressionNames, name, "compression", "none, lzw, deflate, packbits, zstd")
}

// Predictor is the value of the Predictor tag (317; TIFF 6.0 section 14,
// page 64; 3 from the TIFF technical note 3, floating point).
type Predictor uint16

// Predictors.
const (
	PredictorNone       Predictor = 1
	PredictorHorizontal Predictor = 2
	PredictorFloat      Predictor = 3
)

var predictorNames = map[Predictor]string{PredictorNone: "none", PredictorHorizontal: "horizontal", PredictorFloat: "float"}

// String returns "none", "horizontal" or "float", or "predictor N" for a
// value not known here.
func (p Predictor) String() string { return enumName(predictorNames, p, "predictor %d") }

// ParsePredictor returns the predictor String names (case-insensitive),
// or an error naming the unknown name.
func ParsePredictor(name string) (Predictor, error) {
	return parseEnum(predictorNames, name, "predictor", "none, horizontal, float")
}

// BigMode chooses between classic TIFF (32-bit offsets) and BigTIFF
// (64-bit offsets) when writing.
type BigMode int

// BigTIFF modes.
const (
	BigAuto   BigMode = iota // BigTIFF when the file could pass 4 GiB, or when Pages is unknown
	BigAlways                // always 64-bit offsets
	BigNever                 // classic TIFF; writing past 4 GiB is an error
)

var bigModeNames = map[BigMode]string{BigAuto: "auto", BigAlways: "always", BigNever: "never"}

// String returns "auto", "always" or "never", or "BigMode(N)".
func (m BigMode) String() string { return enumName(bigModeNames, m, "BigMode(%d)") }

// ParseBigMode returns the mode String names (case-insensitive), or an
// error naming the unknown name.
func ParseBigMode(name string) (BigMode, error) {
	return parseEnum(bigModeNames, name, "BigTIFF mode", "auto, always, never")
}

// enumName returns the name of v, or its number in format unknown.
func enumName[E ~uint16 | ~int](names map[E]string, v E, unknown string) string {
	if s, ok := names[v]; ok {
		return s
	}
	return fmt.Sprintf(unknown, int(v))
}

// parseEnum returns the value names gives name (case-insensitive), or an
// error naming the unknown name and listing want.
func parseEnum[E comparable](names map[E]string, name, what, want string) (E, error) {
	for v, s := range names {
		if strings.EqualFold(s, name) {
			return v, nil
		}
	}
	var zero E
	return zero, fmt.Errorf("tiff: unknown %s %q (want %s)", what, name, want)
}

// Sample formats.
const (
	sfUint  = 1
	sfInt   = 2
	sfFloat = 3
)
