// Package kvplugin is the go-plugin glue shared by the Go KV host and the Go KV
// reference plugin: the handshake constants and the plugin.GRPCPlugin type that
// both sides register under the name "kv". The service contract itself is
// documented at the top of proto/kv/kv.proto.
package kvplugin

import (
	"context"
	"errors"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	kvpb "goplugin/kvpb"
)

// The go-plugin handshake of the KV example. The host puts
// MagicCookieKey=MagicCookieValue into the plugin's environment; a plugin that
// does not find it refuses to run (go-plugin's "This binary is a plugin" message
// and exit status 1). The C++ example plugin and rpcplugin-host use the same
// values; change them only together with proto/kv/kv.proto's header comment.
const (
	MagicCookieKey   = "RPCPLUGIN_KV_PLUGIN"
	MagicCookieValue = "kv"
	// ProtocolVersion is the KV app protocol version (PLUGIN_PROTOCOL_VERSIONS=1,
	// second field of the handshake line).
	ProtocolVersion = 1
	// PluginName is the name passed to Dispense.
	PluginName = "kv"
)

// Handshake is the go-plugin HandshakeConfig built from the constants above.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// Plugin is the "kv" entry of a go-plugin PluginSet. gRPC only.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin

	// Register is used on the plugin side: it registers the KV services on the
	// plugin's main gRPC server. Unused (nil) on the host side.
	Register func(broker *plugin.GRPCBroker, s *grpc.Server) error
}

// GRPCServer implements plugin.GRPCPlugin (plugin side).
func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("kvplugin.Plugin.Register is not set")
	}
	return p.Register(broker, s)
}

// GRPCClient implements plugin.GRPCPlugin (host side). It returns a *Client.
func (p *Plugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &Client{KV: kvpb.NewKVClient(conn), Broker: broker, Conn: conn}, nil
}

// Client is what the host gets from Dispense(PluginName).
type Client struct {
	KV     kvpb.KVClient
	Broker *plugin.GRPCBroker // the host side of the go-plugin broker
	Conn   *grpc.ClientConn   // the main connection to the plugin
}
