// Package gzipctl gives the interop client and server exact, per-message control
// over gRPC's "compressed" message flag, and exact visibility of it on received
// messages. grpc-go 1.33 exposes neither: it compresses all or none of a call's
// messages and hides the flag of what it receives.
//
// How it works (all compression itself is grpc-go's own encoding/gzip):
//
//   - Sending: Mark(msg, on) records a wish for one message. Codec moves that wish
//     from the message to its serialized bytes (keyed by the address of their
//     first byte, which grpc-go hands unchanged to the compressor). The gzip
//     compressors below compress marked bytes and write nothing for the others;
//     grpc-go then sends the original bytes with the flag clear.
//   - Receiving: the legacy Decompressor runs only for messages whose flag is set,
//     and it records the address of the buffer it returns. grpc-go passes that
//     buffer to the stats handler as InPayload.Data, where it is looked up and the
//     result appended to the call's Recorder.
//
// Both directions rely on grpc-go 1.33's internal data flow (slice identity from
// codec to compressor and from decompressor to stats handler); after a grpc-go
// upgrade, re-check the flags on the wire with an independent HTTP/2 peer.
package gzipctl

import (
	"context"
	"fmt"
	"io"
	"io/ioutil"
	"sync"

	"github.com/golang/protobuf/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/stats"
)

// Name is the grpc-encoding this package handles.
const Name = gzip.Name

var (
	base     encoding.Compressor // grpc-go's gzip implementation
	msgMarks sync.Map            // proto message (pointer) -> bool: compress it?
	outMarks sync.Map            // *byte (serialized message) -> bool: compress it?
	inMarks  sync.Map            // *byte (decompressed buffer) -> struct{}
)

func init() {
	base = encoding.GetCompressor(gzip.Name)
	if base == nil {
		panic("gzipctl: grpc-go gzip compressor is not registered")
	}
	// Replace the registration so that grpc.UseCompressor(Name) on a call compresses
	// every message except those marked otherwise. Decompression is unchanged.
	encoding.RegisterCompressor(&selective{compressByDefault: true})
}

// key identifies a byte slice by the address of its backing array; nil if it has none.
func key(b []byte) *byte {
	if cap(b) == 0 {
		return nil
	}
	return &b[:1][0]
}

// Mark asks for msg to be sent with (compress=true) or without the compressed flag.
// It must be called before msg is sent, and msg must be sent only once afterwards.
// A compressed message is only possible on a call whose grpc-encoding is gzip.
func Mark(msg proto.Message, compress bool) {
	msgMarks.Store(msg, compress)
}

// Codec is the protobuf codec that carries Mark()s from messages to their encodings.
type Codec struct{}

// Marshal serializes v and transfers any compression mark to the result.
func (Codec) Marshal(v interface{}) ([]byte, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("gzipctl: cannot marshal %T, not a proto.Message", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	if c, ok := msgMarks.LoadAndDelete(v); ok {
		if cap(b) == 0 {
			b = make([]byte, 0, 1) // give an empty message an address to key on
		}
		outMarks.Store(key(b), c.(bool))
	}
	return b, nil
}

// Unmarshal parses data into v.
func (Codec) Unmarshal(data []byte, v interface{}) error {
	m, ok := v.(proto.Message)
	if !ok {
		return fmt.Errorf("gzipctl: cannot unmarshal into %T, not a proto.Message", v)
	}
	return proto.Unmarshal(data, m)
}

// Name is the content-subtype name of the codec ("proto", i.e. application/grpc).
func (Codec) Name() string { return "proto" }

// String is Name, for grpc-go's legacy Codec interface.
func (Codec) String() string { return "proto" }

// wantCompressed consumes the mark of serialized message p.
func wantCompressed(p []byte, byDefault bool) bool {
	k := key(p)
	if k == nil {
		return byDefault
	}
	if c, ok := outMarks.LoadAndDelete(k); ok {
		return c.(bool)
	}
	return byDefault
}

// selective is an encoding.Compressor that compresses only the wanted messages.
type selective struct{ compressByDefault bool }

func (s *selective) Name() string { return Name }

func (s *selective) Compress(w io.Writer) (io.WriteCloser, error) {
	return &selectiveWriter{dst: w, byDefault: s.compressByDefault}, nil
}

func (s *selective) Decompress(r io.Reader) (io.Reader, error) { return base.Decompress(r) }

// selectiveWriter decides on the first Write (grpc-go writes a message in one call).
type selectiveWriter struct {
	dst       io.Writer
	byDefault bool
	decided   bool
	zw        io.WriteCloser // nil: the message is dropped, so it goes out uncompressed
}

func (w *selectiveWriter) Write(p []byte) (int, error) {
	if !w.decided {
		w.decided = true
		if wantCompressed(p, w.byDefault) {
			zw, err := base.Compress(w.dst)
			if err != nil {
				return 0, err
			}
			w.zw = zw
		}
	}
	if w.zw == nil {
		return len(p), nil
	}
	return w.zw.Write(p)
}

func (w *selectiveWriter) Close() error {
	if w.zw == nil {
		return nil
	}
	return w.zw.Close()
}

// legacy implements grpc-go's legacy grpc.Compressor and grpc.Decompressor, which,
// unlike encoding.Compressor, a server can apply to every call (grpc.RPCCompressor).
type legacy struct{ compressByDefault bool }

func (l *legacy) Type() string { return Name }

func (l *legacy) Do(w io.Writer, p []byte) error {
	if !wantCompressed(p, l.compressByDefault) {
		return nil
	}
	zw, err := base.Compress(w)
	if err != nil {
		return err
	}
	if _, err := zw.Write(p); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// decompressor records every buffer it produces, i.e. every message received compressed.
type decompressor struct{}

func (decompressor) Type() string { return Name }

func (decompressor) Do(r io.Reader) ([]byte, error) {
	zr, err := base.Decompress(r)
	if err != nil {
		return nil, err
	}
	d, err := ioutil.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if cap(d) == 0 {
		d = make([]byte, 0, 1)
	}
	inMarks.Store(key(d), struct{}{})
	return d, nil
}

// consumeInMark reports whether data is a buffer produced by the decompressor.
func consumeInMark(data []byte) bool {
	k := key(data)
	if k == nil {
		return false
	}
	_, ok := inMarks.LoadAndDelete(k)
	return ok
}

// Recorder collects the compressed flags of the messages one call received, in order.
type Recorder struct {
	mu    sync.Mutex
	flags []bool
}

// Flags returns the flags recorded so far.
func (r *Recorder) Flags() []bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bool(nil), r.flags...)
}

// Last returns the flag of the latest received message; ok is false if none.
func (r *Recorder) Last() (compressed, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.flags) == 0 {
		return false, false
	}
	return r.flags[len(r.flags)-1], true
}

type recorderKey struct{}

// WithRecorder returns a context carrying a new Recorder; use it for a client call.
func WithRecorder(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{}
	return context.WithValue(ctx, recorderKey{}, r), r
}

// RecorderFrom returns the Recorder in ctx, or nil.
func RecorderFrom(ctx context.Context) *Recorder {
	r, _ := ctx.Value(recorderKey{}).(*Recorder)
	return r
}

// statsHandler feeds received-message flags into the call's Recorder.
type statsHandler struct{ server bool }

func (h statsHandler) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context {
	if h.server && RecorderFrom(ctx) == nil {
		ctx, _ = WithRecorder(ctx)
	}
	return ctx
}

func (h statsHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	in, ok := s.(*stats.InPayload)
	if !ok {
		return
	}
	compressed := consumeInMark(in.Data)
	if r := RecorderFrom(ctx); r != nil {
		r.mu.Lock()
		r.flags = append(r.flags, compressed)
		r.mu.Unlock()
	}
}

func (statsHandler) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (statsHandler) HandleConn(context.Context, stats.ConnStats)                       {}

// ServerOptions wires this package into a grpc.Server: every call gets a Recorder
// (see RecorderFrom), received flags are recorded, and responses are compressed
// exactly when marked. Note that grpc-go then announces grpc-encoding gzip on every
// call; the server should override that per call with SetCallEncoding.
func ServerOptions() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.CustomCodec(Codec{}),
		grpc.RPCCompressor(&legacy{compressByDefault: false}),
		grpc.RPCDecompressor(decompressor{}),
		grpc.StatsHandler(statsHandler{server: true}),
	}
}

// DialOptions wires this package into a grpc.ClientConn: calls made with a context
// from WithRecorder record received flags; calls made with grpc.UseCompressor(Name)
// compress every request except those marked false.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.ForceCodec(Codec{})),
		grpc.WithDecompressor(decompressor{}),
		grpc.WithStatsHandler(statsHandler{server: false}),
	}
}

// SetCallEncoding sets the grpc-encoding response header of the server call in ctx
// ("" for none). It has effect only before the response headers are sent, and
// reports whether grpc-go allowed it.
func SetCallEncoding(ctx context.Context, encoding string) bool {
	s, ok := grpc.ServerTransportStreamFromContext(ctx).(interface{ SetSendCompress(string) })
	if ok {
		s.SetSendCompress(encoding)
	}
	return ok
}
