package audit

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
	v1 "github.com/aio-authn/kubectl-aio-authn/pkg/api/v1"
	"github.com/aio-authn/kubectl-aio-authn/pkg/lint"
	"github.com/aio-authn/kubectl-aio-authn/pkg/ui"
)

// defaultBrokerAudiences are the audiences brokers of each generation
// accept out of the box (GA, then the previews): a token for one of them is
// certainly meant for a broker.
var defaultBrokerAudiences = []string{api.GenV1.DefaultAudience(), api.GenMid2024.DefaultAudience()}

// satPort is a listener port with a ServiceAccountToken method.
type satPort struct {
	namespace, listener string
	port                int32
	authn               string
	audiences           []string
}

func (p satPort) String() string {
	return fmt.Sprintf("%s:%d (%s)", p.listener, p.port, strings.Join(p.audiences, ", "))
}

// tokenMount is a projected service account token of a pod, for an
// audience no port accepts, with the other pods of the same controller that
// mount it too.
type tokenMount struct {
	pod              *corev1.Pod
	volume, audience string
	volumeIndex      int
	sourceIndex      int
	owner            string // "ReplicaSet/x", or "" for a pod on its own
	more             int    // further pods of the same owner
}

// podTokens flags pods whose projected service account token is for an
// audience that no listener port's ServiceAccountToken method accepts: the
// broker's TokenReview for those audiences fails, and the client sees only
// "not authorized". Pods are checked only when the audit found listeners,
// so that auditing a namespace of clients alone says nothing wrong.
func (a *auditor) podTokens() error {
	if len(a.snap.Listeners) == 0 {
		return nil
	}
	accepted := map[string]bool{}
	var ports []satPort
	for _, l := range a.snap.Listeners {
		for _, p := range l.Spec.Ports {
			authn := a.snap.Authentication(l.Namespace, p.AuthenticationRef)
			if p.AuthenticationRef == "" || authn == nil {
				continue
			}
			auds := satAudiences(authn)
			if len(auds) == 0 {
				continue
			}
			for _, aud := range auds {
				accepted[aud] = true
			}
			ports = append(ports, satPort{namespace: l.Namespace, listener: l.Name, port: p.Port, authn: authn.Name, audiences: auds})
		}
	}
	brokerAudiences := map[string]bool{}
	for _, aud := range defaultBrokerAudiences {
		brokerAudiences[aud] = true
	}
	for i := range a.snap.Authentications {
		for _, aud := range satAudiences(&a.snap.Authentications[i]) {
			brokerAudiences[aud] = true
		}
	}

	pods := make([]*corev1.Pod, len(a.snap.Pods))
	for i := range a.snap.Pods {
		pods[i] = &a.snap.Pods[i]
	}
	sort.Slice(pods, func(i, j int) bool {
		if pods[i].Namespace != pods[j].Namespace {
			return pods[i].Namespace < pods[j].Namespace
		}
		return pods[i].Name < pods[j].Name
	})
	type groupKey struct{ namespace, owner, volume, audience string }
	groups := map[groupKey]*tokenMount{}
	var mounts []*tokenMount
	for _, pod := range pods {
		owner := controllerOf(pod)
		for vi, vol := range pod.Spec.Volumes {
			if vol.Projected == nil {
				continue
			}
			for si, src := range vol.Projected.Sources {
				// A token without an audience is for the API server
				// itself (the kube-api-access volume every pod gets).
				if src.ServiceAccountToken == nil || src.ServiceAccountToken.Audience == "" {
					continue
				}
				aud := src.ServiceAccountToken.Audience
				if accepted[aud] {
					continue
				}
				key := groupKey{pod.Namespace, owner, vol.Name, aud}
				if owner == "" {
					key.owner = "pod/" + pod.Name
				}
				if g, ok := groups[key]; ok {
					g.more++
					continue
				}
				m := &tokenMount{pod: pod, volume: vol.Name, audience: aud, volumeIndex: vi, sourceIndex: si, owner: owner}
				groups[key] = m
				mounts = append(mounts, m)
			}
		}
	}

	rendered := map[*corev1.Pod]bool{}
	for _, m := range mounts {
		f, err := renderTyped(m.pod, "v1", "Pod")
		if err != nil {
			return err
		}
		if len(f.Documents) != 1 {
			return fmt.Errorf("rendering pod %s/%s: %d documents", m.pod.Namespace, m.pod.Name, len(f.Documents))
		}
		doc := f.Documents[0]
		if !rendered[m.pod] {
			rendered[m.pod] = true
			a.extraFiles = append(a.extraFiles, f.Path)
			a.extraResources = append(a.extraResources, lint.Resource{File: f.Path, Line: doc.Line, Kind: "Pod", Name: m.pod.Name})
		}
		sev := lint.SeverityWarning
		if brokerAudiences[m.audience] {
			sev = lint.SeverityError
		}
		msg := fmt.Sprintf("pod %s mounts a service account token (volume %s) for audience %q, which no listener port accepts: the broker refuses it",
			m.pod.Name, m.volume, m.audience)
		if m.more > 0 {
			msg += fmt.Sprintf(" (so do %s of %s)", ui.Plural(m.more, "more pod"), m.owner)
		}
		path := fmt.Sprintf("spec.volumes[%d].projected.sources[%d].serviceAccountToken.audience", m.volumeIndex, m.sourceIndex)
		a.add(doc, path, RulePodTokenAudience, sev, msg, podHint(m.audience, ports, sev))
	}
	return nil
}

func podHint(audience string, ports []satPort, sev lint.Severity) string {
	var hint string
	if len(ports) == 0 {
		hint = fmt.Sprintf("no listener port has a ServiceAccountToken method; add one with audience %q to the BrokerAuthentication of the port the pod connects to", audience)
	} else {
		var names, authns []string
		for _, p := range ports {
			names = append(names, p.String())
			if !slices.Contains(authns, p.authn) {
				authns = append(authns, p.authn)
			}
		}
		hint = fmt.Sprintf("ports accepting service account tokens: %s; set the volume's audience to one of theirs, or add %q to serviceAccountTokenSettings.audiences of BrokerAuthentication %s",
			strings.Join(names, ", "), audience, strings.Join(authns, " or "))
	}
	if sev != lint.SeverityError {
		hint += "; ignore this if the token is not meant for the MQTT broker"
	}
	return hint
}

// satAudiences returns the audiences of an authn's ServiceAccountToken
// methods, in order, without repeats.
func satAudiences(a *v1.BrokerAuthentication) []string {
	var out []string
	for _, m := range a.Spec.AuthenticationMethods {
		if m.Method != v1.MethodServiceAccountToken || m.ServiceAccountTokenSettings == nil {
			continue
		}
		for _, aud := range m.ServiceAccountTokenSettings.Audiences {
			if !slices.Contains(out, aud) {
				out = append(out, aud)
			}
		}
	}
	return out
}

// controllerOf names the pod's controller ("ReplicaSet/web-5d8f"), or "".
func controllerOf(pod *corev1.Pod) string {
	if ref := metav1.GetControllerOf(pod); ref != nil {
		return ref.Kind + "/" + ref.Name
	}
	return ""
}
