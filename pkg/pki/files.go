package pki

import (
	"io/fs"
)

// File modes of what the minting commands write: private keys readable by
// their owner only.
const (
	PrivateFileMode fs.FileMode = 0o600
	PublicFileMode  fs.FileMode = 0o644
)
