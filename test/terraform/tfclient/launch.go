package main

// Launching a provider the way Terraform's plugin client does (internal/plugin,
// internal/command/meta_providers.go) with go-plugin 1.0.1: Terraform's magic cookie,
// versioned plugin sets {5: provider, 6: provider}, gRPC only, managed, AutoMTLS unless
// disabled, hclog logger named "provider"; or reattaching to a provider in debug mode.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	_ "tfcheck/tfplugin5"
	_ "tfcheck/tfplugin6"
)

const (
	cookieKey   = "TF_PLUGIN_MAGIC_COOKIE"
	cookieValue = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2"
)

// grpcProvider is the plugin go-plugin dispenses: the connection, and the protocol the
// handshake settled on.
type grpcProvider struct {
	plugin.NetRPCUnsupportedPlugin
	version int
}

func (p *grpcProvider) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("tfclient is a client only")
}

func (p *grpcProvider) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &provider{conn: conn, version: p.version}, nil
}

// provider calls tfplugin6 methods with tfplugin6 messages; on protocol 5 they travel as
// their tfplugin5 counterparts (convert.go).
type provider struct {
	conn    *grpc.ClientConn
	version int
}

// The protocol 5 names of the protocol 6 RPCs that were renamed (message and method).
var v5Names = map[string][2]string{
	"GetProviderSchema":          {"GetProviderSchema", "GetSchema"},
	"ValidateProviderConfig":     {"PrepareProviderConfig", "PrepareProviderConfig"},
	"ValidateResourceConfig":     {"ValidateResourceTypeConfig", "ValidateResourceTypeConfig"},
	"ValidateDataResourceConfig": {"ValidateDataSourceConfig", "ValidateDataSourceConfig"},
	"ConfigureProvider":          {"Configure", "Configure"},
	"StopProvider":               {"Stop", "Stop"},
}

// call invokes `method` (a tfplugin6.Provider method name) with core's plugin-lifetime
// context (no deadline).
func (p *provider) call(method string, in, out proto.Message, opts ...grpc.CallOption) error {
	ctx := context.Background()
	if p.version == 6 {
		return p.conn.Invoke(ctx, "/tfplugin6.Provider/"+method, in, out, opts...)
	}
	msg, m5 := method, method
	if n, ok := v5Names[method]; ok {
		msg, m5 = n[0], n[1]
	}
	in5, err := newV5(msg + ".Request")
	if err != nil {
		return err
	}
	out5, err := newV5(msg + ".Response")
	if err != nil {
		return err
	}
	if err := convert(in.ProtoReflect(), in5.ProtoReflect()); err != nil {
		return fmt.Errorf("%s request as protocol 5: %v", method, err)
	}
	if err := p.conn.Invoke(ctx, "/tfplugin5.Provider/"+m5, in5, out5, opts...); err != nil {
		return err
	}
	if err := convert(out5.ProtoReflect(), out.ProtoReflect()); err != nil {
		return fmt.Errorf("%s response from protocol 5: %v", method, err)
	}
	return nil
}

func newV5(name string) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName("tfplugin5." + name))
	if err != nil {
		return nil, fmt.Errorf("tfplugin5.%s: %v", name, err)
	}
	return mt.New().Interface(), nil
}

// captured collects what go-plugin hands to SyncStdout/SyncStderr.
type captured struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (c *captured) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.Write(b)
}

func (c *captured) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

// instance is one provider process (or one reattached session).
type instance struct {
	client  *plugin.Client
	cmd     *exec.Cmd
	p       *provider
	stdout  captured
	version int
}

func logger() hclog.Logger {
	level := hclog.LevelFromString(os.Getenv("TF_LOG"))
	if level == hclog.NoLevel {
		level = hclog.Warn
	}
	return hclog.New(&hclog.LoggerOptions{Name: "provider", Output: os.Stderr, Level: level})
}

// launch starts the provider at `exe` offering `versions` (Terraform offers 5 and 6).
func launch(exe string, versions []int, autoMTLS bool) (*instance, error) {
	in := &instance{cmd: exec.Command(exe)}
	sets := map[int]plugin.PluginSet{}
	for _, v := range versions {
		sets[v] = plugin.PluginSet{"provider": &grpcProvider{version: v}}
	}
	in.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  4, // Terraform's legacy default; VersionedPlugins decide
			MagicCookieKey:   cookieKey,
			MagicCookieValue: cookieValue,
		},
		VersionedPlugins: sets,
		Cmd:              in.cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          true,
		AutoMTLS:         autoMTLS,
		Logger:           logger(),
		SyncStdout:       &in.stdout,
		SyncStderr:       os.Stderr,
	})
	return in, in.dispense()
}

func (in *instance) dispense() error {
	rpc, err := in.client.Client()
	if err != nil {
		return fmt.Errorf("starting the provider: %v", err)
	}
	raw, err := rpc.Dispense("provider")
	if err != nil {
		return fmt.Errorf("dispensing the provider: %v", err)
	}
	in.p = raw.(*provider)
	in.version = in.p.version
	return nil
}

// kill is Terraform's provider.Close(): go-plugin's Kill, which asks the provider to shut
// down (GRPCController.Shutdown) and kills it after 2 s if it has not exited. Returns the
// exit status: 0 after a graceful shutdown.
func (in *instance) kill() int {
	in.client.Kill()
	if in.cmd == nil || in.cmd.ProcessState == nil {
		return -1
	}
	return in.cmd.ProcessState.ExitCode()
}

// reattachConfig reads one provider's entry of TF_REATTACH_PROVIDERS JSON, as Terraform's
// internal/getproviders/reattach does.
type reattachEntry struct {
	Protocol        string
	ProtocolVersion int
	Pid             int
	Test            bool
	Addr            struct{ Network, String string }
}

func parseReattach(text, name string) (*reattachEntry, error) {
	var all map[string]reattachEntry
	if err := json.Unmarshal([]byte(text), &all); err != nil {
		return nil, fmt.Errorf("TF_REATTACH_PROVIDERS: %v", err)
	}
	e, ok := all[name]
	if !ok {
		return nil, fmt.Errorf("TF_REATTACH_PROVIDERS has no entry for %q", name)
	}
	if e.Protocol != string(plugin.ProtocolGRPC) {
		return nil, fmt.Errorf("reattach protocol %q, want grpc", e.Protocol)
	}
	return &e, nil
}

// reattach connects to a provider that is already running. go-plugin 1.0.1's
// ReattachConfig has only Protocol, Addr and Pid; the plugin set is the one of the
// version the provider announced (Terraform: ProtocolVersion, default 5).
func reattach(e *reattachEntry) (*instance, error) {
	var addr net.Addr
	switch strings.ToLower(e.Addr.Network) {
	case "unix":
		addr = &net.UnixAddr{Name: e.Addr.String, Net: "unix"}
	case "tcp":
		a, err := net.ResolveTCPAddr("tcp", e.Addr.String)
		if err != nil {
			return nil, err
		}
		addr = a
	default:
		return nil, fmt.Errorf("reattach network %q", e.Addr.Network)
	}
	version := e.ProtocolVersion
	if version == 0 {
		version = 5
	}
	in := &instance{}
	in.client = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion: 4, MagicCookieKey: cookieKey, MagicCookieValue: cookieValue,
		},
		Plugins:          plugin.PluginSet{"provider": &grpcProvider{version: version}},
		Reattach:         &plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, Addr: addr, Pid: e.Pid},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          false,
		Logger:           logger(),
	})
	return in, in.dispense()
}
