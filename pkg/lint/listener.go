package lint

import (
	"fmt"
	"strconv"

	"github.com/aio-authn/kubectl-aio-authn/pkg/manifest"
)

// listenerInfo is what the cross-reference rules need from a BrokerListener.
type listenerInfo struct {
	hdr   docHeader
	name  string
	ns    string
	ports []portInfo
}

type portInfo struct {
	port    int64
	hasPort bool
	path    string
	authRef string
	hasTLS  bool
	// portPos and refPos are where findings about the port number and its
	// authenticationRef point.
	portPos, refPos manifest.Position
}

// checkListener runs the per-document rules of a BrokerListener.
func (c *docCheck) checkListener() *listenerInfo {
	d := c.doc
	info := &listenerInfo{hdr: headerOf(d), name: d.Name, ns: d.Namespace}
	if d.Version() == "v1beta1" {
		c.previewAPI()
	}
	for i, p := range items(child(child(d.Root, "spec"), "ports")) {
		path := fmt.Sprintf("spec.ports[%d]", i)
		pi := portInfo{path: path, portPos: d.Position(path + ".port"), refPos: d.Position(path + ".authenticationRef")}
		if s, ok := str(child(p, "port")); ok {
			if n, err := strconv.ParseInt(s, 0, 64); err == nil {
				pi.port, pi.hasPort = n, true
			}
		}
		tls := child(p, "tls")
		pi.hasTLS = tls != nil && tls.ShortTag() != "!!null"
		if ref, ok := str(child(p, "authenticationRef")); ok && ref != "" {
			pi.authRef = ref
		}
		info.ports = append(info.ports, pi)
	}
	return info
}
