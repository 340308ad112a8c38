package tiff

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

// Compression schemes.
const (
	CompressionNone     = 1
	CompressionLZW      = 5
	CompressionJPEG     = 7 // recognised, not supported
	CompressionDeflate  = 8 // Adobe deflate (zlib)
	CompressionPackBits = 32773
	CompressionDeflate2 = 32946 // old deflate code, same stream
	CompressionZstd     = 50000
)

// Predictors.
const (
	PredictorNone       = 1
	PredictorHorizontal = 2
	PredictorFloat      = 3
)

// Sample formats.
const (
	sfUint  = 1
	sfInt   = 2
	sfFloat = 3
)
