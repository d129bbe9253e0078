package generate

import (
	"fmt"
	"net"
	"path"
	"regexp"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aio-authn/kubectl-aio-authn/pkg/api"
)

// SATClientOptions are the choices the test client is generated from,
// mirroring the flags of `generate sat-client`.
type SATClientOptions struct {
	// Name of the ServiceAccount and the Pod; default mqtt-client.
	Name      string
	Namespace string
	// Audience of the projected token: one of the audiences of the
	// BrokerAuthentication's ServiceAccountToken entry.
	Audience string
	Image    string
	// TokenPath is where the token file appears in the container; its
	// directory is the volume's mount path and its base name the projected
	// path, so the two cannot disagree.
	TokenPath  string
	Expiration time.Duration
	Host       string
	Port       int
	// CAConfigMap holds the CA (key ca.crt) that signs the broker's server
	// certificate; empty means the port is plain TCP.
	CAConfigMap string
}

// Defaults of `generate sat-client`: the GA broker's default listener
// (service aio-broker, port 18883, TLS with the trust bundle ConfigMap
// azure-iot-operations-aio-ca-trust-bundle) and an image with mosquitto_pub.
const (
	DefaultSATClientName = "mqtt-client"
	DefaultTokenPath     = "/var/run/secrets/tokens/broker-sat"
	DefaultExpiration    = 24 * time.Hour
	DefaultBrokerHost    = "aio-broker"
	DefaultBrokerPort    = 18883
	DefaultClientImage   = "eclipse-mosquitto:2"
	DefaultCAConfigMap   = "azure-iot-operations-aio-ca-trust-bundle"
	// MinExpiration is the shortest token Kubernetes issues.
	MinExpiration = 10 * time.Minute
	// maxExpiration is the longest expirationSeconds the API accepts (2^32 s).
	maxExpiration = (1 << 32) * time.Second
)

// caMountPath is where the broker's CA ConfigMap is mounted.
const caMountPath = "/var/run/certs"

// safePath is what a token path may contain: it is written into a shell
// command unquoted-safe.
var safePath = regexp.MustCompile(`^/[A-Za-z0-9._/-]+$`)

// SATClient builds a ServiceAccount and a Pod that connects to the broker
// with MQTT v5 enhanced authentication (method K8S-SAT), reading the token
// from the projected volume every time it connects, since the kubelet
// refreshes the file before the token expires.
func SATClient(o SATClientOptions) (*corev1.ServiceAccount, *corev1.Pod, error) {
	if o.Name == "" {
		o.Name = DefaultSATClientName
	}
	if o.Namespace == "" {
		o.Namespace = api.BrokerNamespace
	}
	if o.Audience == "" {
		o.Audience = DefaultAudience(VersionV1)
	}
	if o.Image == "" {
		o.Image = DefaultClientImage
	}
	if o.TokenPath == "" {
		o.TokenPath = DefaultTokenPath
	}
	if o.Expiration == 0 {
		o.Expiration = DefaultExpiration
	}
	if o.Host == "" {
		o.Host = DefaultBrokerHost
	}
	if o.Port == 0 {
		o.Port = DefaultBrokerPort
	}
	if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
		return nil, nil, fmt.Errorf("--name %q: %s", o.Name, errs[0])
	}
	if err := ValidateNamespace(o.Namespace); err != nil {
		return nil, nil, err
	}
	if strings.TrimSpace(o.Audience) != o.Audience {
		return nil, nil, fmt.Errorf("--audience %q has leading or trailing spaces", o.Audience)
	}
	if strings.ContainsAny(o.Image, " \t\n") {
		return nil, nil, fmt.Errorf("--image %q: an image reference has no spaces", o.Image)
	}
	dir, file := path.Split(o.TokenPath)
	dir = path.Clean(dir)
	if !safePath.MatchString(o.TokenPath) || path.Clean(o.TokenPath) != o.TokenPath || dir == "/" || file == "" {
		return nil, nil, fmt.Errorf("--token-path %q: use an absolute file path below a directory, e.g. %s", o.TokenPath, DefaultTokenPath)
	}
	if dir == caMountPath || dir == "/var/run/secrets/kubernetes.io/serviceaccount" {
		return nil, nil, fmt.Errorf("--token-path %q: directory %s is used by another mount; choose another", o.TokenPath, dir)
	}
	if o.Expiration < MinExpiration {
		return nil, nil, fmt.Errorf("--duration %s: Kubernetes issues tokens for at least 10m (600 s)", o.Expiration)
	}
	if o.Expiration > maxExpiration || o.Expiration%time.Second != 0 {
		return nil, nil, fmt.Errorf("--duration %s: use whole seconds up to 2^32 s, e.g. 24h", o.Expiration)
	}
	if net.ParseIP(o.Host) == nil && len(validation.IsDNS1123Subdomain(o.Host)) > 0 {
		return nil, nil, fmt.Errorf("--host %q: use a DNS name or an IP address", o.Host)
	}
	if o.Port < 1 || o.Port > 65535 {
		return nil, nil, fmt.Errorf("--port %d: use a TCP port from 1 to 65535", o.Port)
	}
	if o.CAConfigMap != "" {
		if errs := validation.IsDNS1123Subdomain(o.CAConfigMap); len(errs) > 0 {
			return nil, nil, fmt.Errorf("--ca-configmap %q: %s", o.CAConfigMap, errs[0])
		}
	}

	meta := metav1.ObjectMeta{Name: o.Name, Namespace: o.Namespace}
	sa := &corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"}, ObjectMeta: meta}

	const tokenVolume = "broker-sat"
	expiration := int64(o.Expiration / time.Second)
	noAutomount := false
	readOnly := true
	container := corev1.Container{
		Name:    "mqtt-client",
		Image:   o.Image,
		Command: []string{"sh", "-c", clientScript(o)},
		VolumeMounts: []corev1.VolumeMount{
			{Name: tokenVolume, MountPath: dir, ReadOnly: readOnly},
		},
	}
	volumes := []corev1.Volume{{
		Name: tokenVolume,
		VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Path: file, Audience: o.Audience, ExpirationSeconds: &expiration,
			}}},
		}},
	}}
	if o.CAConfigMap != "" {
		container.VolumeMounts = append(container.VolumeMounts, corev1.VolumeMount{Name: "broker-ca", MountPath: caMountPath, ReadOnly: readOnly})
		volumes = append(volumes, corev1.Volume{Name: "broker-ca", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: o.CAConfigMap}},
		}})
	}
	pod := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: meta,
		Spec: corev1.PodSpec{
			ServiceAccountName: o.Name,
			// The client needs its broker token, not access to the
			// Kubernetes API.
			AutomountServiceAccountToken: &noAutomount,
			Containers:                   []corev1.Container{container},
			Volumes:                      volumes,
		},
	}
	return sa, pod, nil
}

// clientScript publishes a message every 30 seconds, reading the token file
// anew for each connection so that the refreshed token is used.
func clientScript(o SATClientOptions) string {
	tls := ""
	if o.CAConfigMap != "" {
		tls = " --cafile " + caMountPath + "/ca.crt"
	}
	return fmt.Sprintf(`while true; do
  mosquitto_pub -V mqttv5 --host %s --port %d%s -t hello -m world -d \
    -D CONNECT authentication-method K8S-SAT \
    -D CONNECT authentication-data "$(cat %s)"
  sleep 30
done
`, o.Host, o.Port, tls, o.TokenPath)
}

// SATClientHeader is the comment written above the generated client.
func SATClientHeader(pod *corev1.Pod) []string {
	aud := pod.Spec.Volumes[0].Projected.Sources[0].ServiceAccountToken.Audience
	return []string{
		"Generated by kubectl aio-authn generate sat-client.",
		fmt.Sprintf("The token's audience %q must be one of the audiences of the BrokerAuthentication's", aud),
		"ServiceAccountToken entry. Watch the client with: kubectl logs -f " + pod.Name + " -n " + pod.Namespace,
	}
}
