package main

// Debug mode and reattach (Terraform's TF_REATTACH_PROVIDERS): the provider is started by
// hand with --debug, prints the reattach configuration and serves until it is told to
// stop; Terraform attaches to it instead of launching a process. Two sessions attach in
// turn (the provider's state outlives the first), the second ends with go-plugin's Kill
// (GRPCController.Shutdown); a second provider is stopped with SIGINT instead.

import (
	"bufio"
	"fmt"
	"io/ioutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/zclconf/go-cty/cty"

	pb "tfcheck/tfplugin6"
)

const registryAddress = "registry.terraform.io/rpcplugin/localfs"

// debugProvider is a provider process started in debug mode.
type debugProvider struct {
	cmd    *exec.Cmd
	exited chan int // the exit status, once the process has been reaped
	env    string   // the TF_REATTACH_PROVIDERS value it printed
}

func startDebug(c *checker, exe string) *debugProvider {
	d := &debugProvider{cmd: exec.Command(exe, "--debug"), exited: make(chan int, 1)}
	d.cmd.Stderr = os.Stderr
	out, err := d.cmd.StdoutPipe()
	if err != nil {
		c.fatal("debug mode: stdout pipe", err)
	}
	if err := d.cmd.Start(); err != nil {
		c.fatal("debug mode: start", err)
	}
	lines := bufio.NewScanner(out)
	const prefix = "TF_REATTACH_PROVIDERS='"
	var printed []string
	for lines.Scan() {
		line := lines.Text()
		printed = append(printed, line)
		if i := strings.Index(line, prefix); i >= 0 && strings.HasSuffix(line, "'") {
			d.env = line[i+len(prefix) : len(line)-1]
			break
		}
	}
	go func() {
		// Keep reading stdout (debug mode leaves it to the provider), then reap.
		ioutil.ReadAll(out)
		d.cmd.Wait()
		d.exited <- d.cmd.ProcessState.ExitCode()
	}()
	c.check("debug mode prints TF_REATTACH_PROVIDERS", d.env != "", "stdout: %q", printed)
	if d.env == "" {
		d.cmd.Process.Kill()
		c.finish()
	}
	logf("%s", strings.Join(printed, "\n     "))
	return d
}

// wait gives the exit status, or -1 if the process is still running after 10 s.
func (d *debugProvider) wait() int {
	select {
	case rc := <-d.exited:
		return rc
	case <-time.After(10 * time.Second):
		d.cmd.Process.Kill()
		return -1
	}
}

// attach reads TF_REATTACH_PROVIDERS from the environment, as Terraform does, and attaches.
func attach(c *checker, tag string) (*session, *reattachEntry) {
	e, err := parseReattach(os.Getenv("TF_REATTACH_PROVIDERS"), registryAddress)
	if err != nil {
		c.fatal(tag+": reattach configuration", err)
	}
	in, err := reattach(e)
	if err != nil {
		c.fatal(tag+": reattach", err)
	}
	s := &session{c: c, tag: tag, in: in, p: in.p}
	if !s.loadSchema() {
		c.finish()
	}
	return s, e
}

func runReattach(c *checker, exe, tmp string) {
	d := startDebug(c, exe)
	os.Setenv("TF_REATTACH_PROVIDERS", d.env)
	e, err := parseReattach(d.env, registryAddress)
	if err != nil {
		d.cmd.Process.Kill()
		c.fatal("reattach configuration", err)
	}
	c.check("reattach configuration: grpc, protocol 6, test mode, a Unix socket, the provider's pid",
		e.ProtocolVersion == 6 && e.Test && strings.EqualFold(e.Addr.Network, "unix") &&
			e.Pid == d.cmd.Process.Pid, "%+v (pid %d)", *e, d.cmd.Process.Pid)

	// Session 1: configure and create a file, then disconnect without shutting down.
	s, _ := attach(c, "reattach session 1")
	provCfg := cty.ObjectVal(map[string]cty.Value{"apply_delay_ms": cty.NullVal(cty.Number)})
	diags := s.configure(provCfg)
	c.check("reattach session 1: configure", len(diags) == 0, "%s", showDiags(diags))
	path := filepath.Join(tmp, "reattached.txt")
	cfg := fileCfg(str(path), str("attached\n"))
	p := s.plan("plan create", cty.NullVal(s.resT), cfg, nil)
	state, private, diags := s.apply("apply create", cty.NullVal(s.resT), cfg, p)
	c.check("reattach session 1: create", len(diags) == 0 && fileContent(path) == "attached\n", "%s", showDiags(diags))
	s.p.conn.Close()
	select {
	case rc := <-d.exited:
		c.fatal("reattach session 1: the provider outlives the session", fmt.Errorf("exited with %d", rc))
	case <-time.After(200 * time.Millisecond):
	}

	// Session 2: the same provider, still serving; read what session 1 created, destroy
	// it, then Kill: go-plugin 1.0.1 sends GRPCController.Shutdown and the provider exits.
	s, _ = attach(c, "reattach session 2")
	got, _, diags := s.read(state, private)
	c.check("reattach session 2: read what session 1 created", len(diags) == 0 && got.RawEquals(state),
		"%#v %s", got, showDiags(diags))
	p = s.plan("plan destroy", state, cty.NullVal(s.resT), private)
	gone, _, diags := s.apply("apply destroy", state, cty.NullVal(s.resT), p)
	_, statErr := os.Stat(path)
	c.check("reattach session 2: destroy", len(diags) == 0 && gone.IsNull() && os.IsNotExist(statErr), "%s", showDiags(diags))
	s.in.client.Kill()
	rc := d.wait()
	_, sockErr := os.Stat(e.Addr.String)
	c.check("reattach session 2: Kill shuts the provider down (exit 0, socket removed)", rc == 0 && os.IsNotExist(sockErr),
		"exit status %d, socket: %v", rc, sockErr)

	// A second debug-mode provider, attached to and then stopped with SIGINT.
	d = startDebug(c, exe)
	os.Setenv("TF_REATTACH_PROVIDERS", d.env)
	s, e = attach(c, "reattach session 3")
	resp := &pb.CallFunction_Response{}
	err = s.p.call("CallFunction", &pb.CallFunction_Request{Name: funcName,
		Arguments: []*pb.DynamicValue{mustEncode(str("abc"), cty.String)}}, resp)
	v, derr := decode(resp.GetResult(), cty.String)
	c.check("reattach session 3: function call", err == nil && derr == nil && v.RawEquals(str(hexSHA("abc"))),
		"%v %v %#v", err, derr, v)
	d.cmd.Process.Signal(syscall.SIGINT)
	rc = d.wait()
	_, sockErr = os.Stat(e.Addr.String)
	c.check("reattach session 3: SIGINT stops the debug-mode provider (exit 0, socket removed)",
		rc == 0 && os.IsNotExist(sockErr), "exit status %d, socket: %v", rc, sockErr)
}
