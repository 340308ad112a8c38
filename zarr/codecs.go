package zarr

import (
	"encoding/json"
	"fmt"

	"github.com/ryomen-dev/ryomen/codec"
)

var shuffleNames = []string{"noshuffle", "shuffle", "bitshuffle"}

// parseV2Codec maps a numcodecs compressor object to a codec.
func parseV2Codec(raw json.RawMessage, typeSize int) (codec.Codec, error) {
	var c struct {
		ID           string `json:"id"`
		Level        *int   `json:"level"`
		Checksum     bool   `json:"checksum"`
		CName        string `json:"cname"`
		CLevel       int    `json:"clevel"`
		Shuffle      *int   `json:"shuffle"`
		BlockSize    int    `json:"blocksize"`
		Acceleration int    `json:"acceleration"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	level := 1
	if c.Level != nil {
		level = *c.Level
	}
	switch c.ID {
	case "zstd":
		return codec.Zstd{Level: level, Checksum: c.Checksum}, nil
	case "gzip":
		return codec.Gzip{Level: level}, nil
	case "zlib":
		return codec.Zlib{Level: level}, nil
	case "lz4":
		if c.Acceleration == 0 {
			c.Acceleration = 1
		}
		return codec.LZ4{Acceleration: c.Acceleration}, nil
	case "blosc":
		sh := 1
		if c.Shuffle != nil {
			sh = *c.Shuffle
		}
		if sh == -1 {
			sh = 1
			if typeSize == 1 {
				sh = 2
			}
		}
		if sh < 0 || sh > 2 {
			return nil, fmt.Errorf("blosc shuffle %d unsupported", sh)
		}
		return codec.Blosc{CName: c.CName, CLevel: c.CLevel, Shuffle: sh, TypeSize: typeSize, BlockSize: c.BlockSize}, nil
	}
	return nil, fmt.Errorf("id %q unsupported", c.ID)
}

func v2CodecJSON(c codec.Codec) (map[string]any, error) {
	switch c := c.(type) {
	case codec.Zstd:
		m := map[string]any{"id": "zstd", "level": c.Level}
		if c.Checksum {
			// Older numcodecs (0.11) reject the key, so write it only
			// when it matters.
			m["checksum"] = true
		}
		return m, nil
	case codec.Gzip:
		return map[string]any{"id": "gzip", "level": c.Level}, nil
	case codec.Zlib:
		return map[string]any{"id": "zlib", "level": c.Level}, nil
	case codec.LZ4:
		return map[string]any{"id": "lz4", "acceleration": c.Acceleration}, nil
	case codec.Blosc:
		return map[string]any{"id": "blosc", "cname": c.CName, "clevel": c.CLevel, "shuffle": c.Shuffle, "blocksize": c.BlockSize}, nil
	}
	return nil, fmt.Errorf("zarr: codec %q has no Zarr v2 form", c.Name())
}

func parseV3Codec(n v3Named, typeSize int) (codec.Codec, error) {
	var c struct {
		Level     int    `json:"level"`
		Checksum  bool   `json:"checksum"`
		CName     string `json:"cname"`
		CLevel    int    `json:"clevel"`
		Shuffle   string `json:"shuffle"`
		TypeSize  int    `json:"typesize"`
		BlockSize int    `json:"blocksize"`
	}
	if len(n.Configuration) > 0 {
		if err := json.Unmarshal(n.Configuration, &c); err != nil {
			return nil, fmt.Errorf("%s: %v", n.Name, err)
		}
	}
	switch n.Name {
	case "zstd":
		return codec.Zstd{Level: c.Level, Checksum: c.Checksum}, nil
	case "gzip":
		return codec.Gzip{Level: c.Level}, nil
	case "crc32c":
		return codec.CRC32C{}, nil
	case "blosc":
		sh := -1
		for i, s := range shuffleNames {
			if s == c.Shuffle {
				sh = i
			}
		}
		if sh < 0 {
			return nil, fmt.Errorf("blosc shuffle %q unsupported", c.Shuffle)
		}
		if c.TypeSize <= 0 {
			c.TypeSize = typeSize
		}
		return codec.Blosc{CName: c.CName, CLevel: c.CLevel, Shuffle: sh, TypeSize: c.TypeSize, BlockSize: c.BlockSize}, nil
	}
	return nil, fmt.Errorf("codec %q unsupported", n.Name)
}

func v3CodecJSON(c codec.Codec, typeSize int) (map[string]any, error) {
	switch c := c.(type) {
	case codec.Zstd:
		return named("zstd", map[string]any{"level": c.Level, "checksum": c.Checksum}), nil
	case codec.Gzip:
		return named("gzip", map[string]any{"level": c.Level}), nil
	case codec.CRC32C:
		return named("crc32c", nil), nil
	case codec.Blosc:
		if c.Shuffle < 0 || c.Shuffle > 2 {
			return nil, fmt.Errorf("zarr: blosc shuffle %d unsupported", c.Shuffle)
		}
		ts := c.TypeSize
		if ts <= 0 {
			ts = typeSize
		}
		return named("blosc", map[string]any{"cname": c.CName, "clevel": c.CLevel,
			"shuffle": shuffleNames[c.Shuffle], "typesize": ts, "blocksize": c.BlockSize}), nil
	}
	return nil, fmt.Errorf("zarr: codec %q has no Zarr v3 form", c.Name())
}
