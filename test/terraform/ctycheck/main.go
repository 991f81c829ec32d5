// ctycheck: the go-cty side of the codec cross-checks (go-cty 1.12.1 from Debian).
//
//	ctycheck -gen FILE     writes test vectors: one line per value,
//	                       name TAB type-JSON TAB msgpack TAB JSON TAB JSON-of-the-msgpack-value
//	                       (all hex; "-" for JSON when the value has no JSON form)
//	ctycheck -check FILE   reads lines  name TAB type-JSON(hex) TAB msgpack(hex) written by
//	                       the C++ side, decodes each with go-cty and re-encodes it: the
//	                       bytes must be identical. Exit status 1 on any mismatch.
package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"os"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"
)

type vector struct {
	name string
	ty   cty.Type
	val  cty.Value
}

func num(s string) cty.Value { return cty.MustParseNumberVal(s) }

func obj(attrs map[string]cty.Type) cty.Type { return cty.Object(attrs) }

// fixed: hand-picked values for every kind, form and edge.
func fixed() []vector {
	var vs []vector
	add := func(name string, ty cty.Type, v cty.Value) { vs = append(vs, vector{name, ty, v}) }

	// Strings, by length class and content.
	for i, s := range []string{"", "hi", strings.Repeat("x", 31), strings.Repeat("y", 32),
		strings.Repeat("z", 255), strings.Repeat("w", 256), strings.Repeat("v", 70000),
		"caf\u00e9 \u65e5\u672c", "q\"uote\\ <tag> & \n\t\x01 \u2028", "\U0001F600"} {
		add(fmt.Sprintf("string-%d", i), cty.String, cty.StringVal(s))
	}
	// Numbers: every integer width, float64, decimal text, infinities.
	ints := []int64{0, 1, -1, 31, 127, 128, 255, 256, -32, -33, -128, -129, 32767, 32768,
		-32768, -32769, 65535, 65536, 2147483647, 2147483648, -2147483648, -2147483649,
		4294967295, 4294967296, math.MaxInt64, math.MinInt64}
	for _, i := range ints {
		add(fmt.Sprintf("int-%d", i), cty.Number, cty.NumberIntVal(i))
	}
	add("uint-max", cty.Number, cty.NumberUIntVal(math.MaxUint64))
	add("uint-2^63", cty.Number, cty.NumberUIntVal(1<<63))
	for _, f := range []float64{1.5, -2.25, 0.1, 1e-7, 1e21, 123456.789, math.SmallestNonzeroFloat64,
		math.MaxFloat64, 3.0, -0.5} {
		add(fmt.Sprintf("float-%g", f), cty.Number, cty.NumberFloatVal(f))
	}
	for _, s := range []string{"0.1", "1e3", "18446744073709551617", "9223372036854775808",
		"1e20", "-123.456", "3.14159265358979323846264338327950288419716939937510",
		"123456789012345678901234567890", "-0.000000000000000000001", "2.5"} {
		add("decimal-"+s, cty.Number, num(s))
	}
	add("inf", cty.Number, cty.PositiveInfinity)
	add("-inf", cty.Number, cty.NegativeInfinity)
	add("true", cty.Bool, cty.True)
	add("false", cty.Bool, cty.False)

	// Nulls and unknowns of every kind of type.
	kinds := map[string]cty.Type{
		"string": cty.String, "number": cty.Number, "bool": cty.Bool,
		"list": cty.List(cty.String), "set": cty.Set(cty.Number), "map": cty.Map(cty.Bool),
		"object": obj(map[string]cty.Type{"a": cty.String}), "tuple": cty.Tuple([]cty.Type{cty.String}),
	}
	for n, t := range kinds {
		add("null-"+n, t, cty.NullVal(t))
		add("unknown-"+n, t, cty.UnknownVal(t))
		add("dyn-null-"+n, cty.DynamicPseudoType, cty.NullVal(t))
		add("dyn-unknown-"+n, cty.DynamicPseudoType, cty.UnknownVal(t))
	}
	add("dyn-null", cty.DynamicPseudoType, cty.NullVal(cty.DynamicPseudoType))
	add("dyn-unknown", cty.DynamicPseudoType, cty.DynamicVal)

	// Collections.
	add("list-empty", cty.List(cty.String), cty.ListValEmpty(cty.String))
	add("list-3", cty.List(cty.String), cty.ListVal([]cty.Value{cty.StringVal("a"), cty.NullVal(cty.String), cty.UnknownVal(cty.String)}))
	var twenty []cty.Value
	for i := 0; i < 20; i++ {
		twenty = append(twenty, cty.NumberIntVal(int64(i*i)))
	}
	add("list-20", cty.List(cty.Number), cty.ListVal(twenty))
	add("set-strings", cty.Set(cty.String), cty.SetVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a"), cty.StringVal("b"), cty.StringVal("")}))
	add("set-numbers", cty.Set(cty.Number), cty.SetVal([]cty.Value{num("10"), num("-2"), num("0.5"), cty.NumberFloatVal(0.5), cty.NumberIntVal(3), cty.UnknownVal(cty.Number)}))
	add("set-bools", cty.Set(cty.Bool), cty.SetVal([]cty.Value{cty.True, cty.False}))
	add("set-unknowns", cty.Set(cty.String), cty.SetVal([]cty.Value{cty.UnknownVal(cty.String), cty.StringVal("z"), cty.UnknownVal(cty.String)}))
	rule := obj(map[string]cty.Type{"port": cty.Number, "proto": cty.String, "cidrs": cty.List(cty.String)})
	mk := func(port int64, proto string, cidrs ...string) cty.Value {
		l := cty.ListValEmpty(cty.String)
		if len(cidrs) > 0 {
			var e []cty.Value
			for _, c := range cidrs {
				e = append(e, cty.StringVal(c))
			}
			l = cty.ListVal(e)
		}
		return cty.ObjectVal(map[string]cty.Value{"port": cty.NumberIntVal(port), "proto": cty.StringVal(proto), "cidrs": l})
	}
	add("set-objects", cty.Set(rule), cty.SetVal([]cty.Value{mk(443, "tcp", "10.0.0.0/8"), mk(22, "tcp"), mk(53, "udp", "0.0.0.0/0", "::/0"), mk(22, "tcp"), mk(8080, "tcp\n\"x\"")}))
	add("set-objects-unknown", cty.Set(rule), cty.SetVal([]cty.Value{
		cty.ObjectVal(map[string]cty.Value{"port": cty.UnknownVal(cty.Number), "proto": cty.StringVal("tcp"), "cidrs": cty.ListValEmpty(cty.String)}),
		mk(80, "tcp"),
		cty.ObjectVal(map[string]cty.Value{"port": cty.UnknownVal(cty.Number), "proto": cty.StringVal("tcp"), "cidrs": cty.ListValEmpty(cty.String)}),
	}))
	add("set-lists", cty.Set(cty.List(cty.Number)), cty.SetVal([]cty.Value{
		cty.ListVal([]cty.Value{cty.NumberIntVal(2)}), cty.ListVal([]cty.Value{cty.NumberIntVal(1), cty.NumberIntVal(12345678901)}), cty.ListValEmpty(cty.Number)}))
	add("set-maps", cty.Set(cty.Map(cty.String)), cty.SetVal([]cty.Value{
		cty.MapVal(map[string]cty.Value{"k": cty.StringVal("v")}), cty.MapVal(map[string]cty.Value{"a": cty.StringVal("b"), "c": cty.NullVal(cty.String)})}))
	add("map-3", cty.Map(cty.Number), cty.MapVal(map[string]cty.Value{"z": cty.NumberIntVal(1), "a": num("0.1"), "m": cty.NullVal(cty.Number)}))
	big := map[string]cty.Value{}
	for i := 0; i < 17; i++ {
		big[fmt.Sprintf("key%02d", i)] = cty.BoolVal(i%2 == 0)
	}
	add("map-17", cty.Map(cty.Bool), cty.MapVal(big))
	add("map-empty", cty.Map(cty.String), cty.MapValEmpty(cty.String))

	// Objects (incl. optional attributes in the schema type), tuples.
	ot := cty.ObjectWithOptionalAttrs(map[string]cty.Type{"name": cty.String, "size": cty.Number, "tags": cty.Map(cty.String)}, []string{"tags"})
	add("object-optional", ot, cty.ObjectVal(map[string]cty.Value{"name": cty.StringVal("n"), "size": cty.NumberIntVal(3), "tags": cty.NullVal(cty.Map(cty.String))}))
	add("object-empty", cty.EmptyObject, cty.EmptyObjectVal)
	add("tuple", cty.Tuple([]cty.Type{cty.String, cty.Number, cty.Bool}), cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.NumberIntVal(1), cty.UnknownVal(cty.Bool)}))
	add("tuple-empty", cty.EmptyTuple, cty.EmptyTupleVal)

	// Dynamic positions, nested.
	add("dyn-string", cty.DynamicPseudoType, cty.StringVal("hi"))
	add("dyn-object", cty.DynamicPseudoType, cty.ObjectVal(map[string]cty.Value{"a": cty.ListVal([]cty.Value{cty.NumberIntVal(1)}), "b": cty.NullVal(cty.String)}))
	add("list-of-dynamic", cty.List(cty.DynamicPseudoType), cty.ListVal([]cty.Value{cty.StringVal("a"), cty.UnknownVal(cty.String)}))
	add("map-of-dynamic", cty.Map(cty.DynamicPseudoType), cty.MapVal(map[string]cty.Value{"x": cty.NumberIntVal(7)}))
	dynAttrs := obj(map[string]cty.Type{"id": cty.String, "value": cty.DynamicPseudoType, "values": cty.List(cty.DynamicPseudoType)})
	add("object-dynamic-attrs", dynAttrs, cty.ObjectVal(map[string]cty.Value{
		"id":     cty.StringVal("x"),
		"value":  cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.ObjectVal(map[string]cty.Value{"n": cty.NumberIntVal(1)})}),
		"values": cty.ListVal([]cty.Value{cty.MapVal(map[string]cty.Value{"k": cty.True})}),
	}))
	add("object-dynamic-unknown", dynAttrs, cty.ObjectVal(map[string]cty.Value{
		"id": cty.UnknownVal(cty.String), "value": cty.DynamicVal, "values": cty.UnknownVal(cty.List(cty.DynamicPseudoType)),
	}))
	add("dyn-set-objects", cty.DynamicPseudoType, cty.SetVal([]cty.Value{mk(2, "b"), mk(1, "a")}))
	add("dyn-optional-object-type", cty.DynamicPseudoType, cty.ObjectVal(map[string]cty.Value{"x": cty.NumberIntVal(1)}))
	return vs
}

// ---- random values of random types (fixed seed) ----

type gen struct{ r *rand.Rand }

var alphabet = []string{"a", "b", "z", "A", "0", "_", " ", "\n", "\"", "\\", "<", "é", "日", "\x01", "~"}

func (g gen) str() string {
	n := g.r.Intn(6)
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString(alphabet[g.r.Intn(len(alphabet))])
	}
	return b.String()
}

func (g gen) typ(depth int) cty.Type {
	k := g.r.Intn(9)
	if depth <= 0 {
		k = g.r.Intn(3)
	}
	switch k {
	case 0:
		return cty.String
	case 1:
		return cty.Number
	case 2:
		return cty.Bool
	case 3:
		return cty.List(g.typ(depth - 1))
	case 4:
		return cty.Set(g.typ(depth - 1))
	case 5:
		return cty.Map(g.typ(depth - 1))
	case 6, 7:
		attrs := map[string]cty.Type{}
		for i := g.r.Intn(4); i >= 0; i-- {
			attrs[fmt.Sprintf("a%d", g.r.Intn(6))] = g.typ(depth - 1)
		}
		return cty.Object(attrs)
	default:
		var es []cty.Type
		for i := g.r.Intn(3); i >= 0; i-- {
			es = append(es, g.typ(depth-1))
		}
		return cty.Tuple(es)
	}
}

func (g gen) number() cty.Value {
	switch g.r.Intn(5) {
	case 0:
		return cty.NumberIntVal(g.r.Int63n(2000) - 1000)
	case 1:
		return cty.NumberIntVal(g.r.Int63() - g.r.Int63())
	case 2:
		return cty.NumberFloatVal(g.r.NormFloat64() * 1000)
	case 3:
		return num(fmt.Sprintf("%d.%d", g.r.Intn(1000), g.r.Intn(1000)))
	default:
		v, _ := new(big.Int).SetString(fmt.Sprintf("%d%d%d", g.r.Int63(), g.r.Int63(), g.r.Int63()), 10)
		return cty.NumberVal(new(big.Float).SetInt(v))
	}
}

func (g gen) val(t cty.Type, allowUnknown bool) cty.Value {
	switch n := g.r.Intn(12); {
	case n == 0:
		return cty.NullVal(t)
	case n == 1 && allowUnknown:
		return cty.UnknownVal(t)
	}
	switch {
	case t == cty.String:
		return cty.StringVal(g.str())
	case t == cty.Number:
		return g.number()
	case t == cty.Bool:
		return cty.BoolVal(g.r.Intn(2) == 0)
	case t.IsListType() || t.IsSetType():
		n := g.r.Intn(5)
		if n == 0 {
			if t.IsListType() {
				return cty.ListValEmpty(t.ElementType())
			}
			return cty.SetValEmpty(t.ElementType())
		}
		var es []cty.Value
		for i := 0; i < n; i++ {
			es = append(es, g.val(t.ElementType(), allowUnknown))
		}
		if t.IsListType() {
			return cty.ListVal(es)
		}
		return cty.SetVal(es)
	case t.IsMapType():
		n := g.r.Intn(5)
		if n == 0 {
			return cty.MapValEmpty(t.ElementType())
		}
		m := map[string]cty.Value{}
		for i := 0; i < n; i++ {
			m[g.str()] = g.val(t.ElementType(), allowUnknown)
		}
		return cty.MapVal(m)
	case t.IsObjectType():
		m := map[string]cty.Value{}
		for k, at := range t.AttributeTypes() {
			m[k] = g.val(at, allowUnknown)
		}
		return cty.ObjectVal(m)
	default:
		var es []cty.Value
		for _, et := range t.TupleElementTypes() {
			es = append(es, g.val(et, allowUnknown))
		}
		return cty.TupleVal(es)
	}
}

func random(n int) []vector {
	g := gen{rand.New(rand.NewSource(16))}
	var vs []vector
	for i := 0; i < n; i++ {
		t := g.typ(3)
		v := g.val(t, i%3 != 0)
		schema := t
		if i%5 == 0 {
			schema = cty.DynamicPseudoType
		}
		vs = append(vs, vector{fmt.Sprintf("random-%d", i), schema, v})
	}
	return vs
}

func generate(path string) error {
	var b bytes.Buffer
	for _, v := range append(fixed(), random(400)...) {
		tj, err := v.ty.MarshalJSON()
		if err != nil {
			return fmt.Errorf("%s: type: %v", v.name, err)
		}
		mp, err := ctymsgpack.Marshal(v.val, v.ty)
		if err != nil {
			return fmt.Errorf("%s: msgpack: %v", v.name, err)
		}
		js, js2 := "-", "-"
		if v.val.IsWhollyKnown() && !hasInfinity(v.val) {
			j, err := ctyjson.Marshal(v.val, v.ty)
			if err != nil {
				return fmt.Errorf("%s: json: %v", v.name, err)
			}
			js = hex.EncodeToString(j)
			// The JSON of the value as msgpack carries it (float64s keep 53 bits).
			back, err := ctymsgpack.Unmarshal(mp, v.ty)
			if err != nil {
				return fmt.Errorf("%s: msgpack round trip: %v", v.name, err)
			}
			j2, err := ctyjson.Marshal(back, v.ty)
			if err != nil {
				return fmt.Errorf("%s: json of the msgpack value: %v", v.name, err)
			}
			js2 = hex.EncodeToString(j2)
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\n", v.name, hex.EncodeToString(tj), hex.EncodeToString(mp), js, js2)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func hasInfinity(v cty.Value) bool {
	found := false
	cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
		if x.Type() == cty.Number && x.IsKnown() && !x.IsNull() && x.AsBigFloat().IsInf() {
			found = true
		}
		return true, nil
	})
	return found
}

func check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	n, bad := 0, 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			return fmt.Errorf("malformed line %q", sc.Text())
		}
		name := fields[0]
		tj, _ := hex.DecodeString(fields[1])
		mp, _ := hex.DecodeString(fields[2])
		var ty cty.Type
		if err := ty.UnmarshalJSON(tj); err != nil {
			fmt.Printf("FAIL %s: type %s: %v\n", name, tj, err)
			bad++
			continue
		}
		v, err := ctymsgpack.Unmarshal(mp, ty)
		if err != nil {
			fmt.Printf("FAIL %s: go-cty cannot decode the C++ bytes %x: %v\n", name, mp, err)
			bad++
			continue
		}
		again, err := ctymsgpack.Marshal(v, ty)
		if err != nil || !bytes.Equal(again, mp) {
			fmt.Printf("FAIL %s: C++ wrote %x, go-cty writes %x (%v)\n", name, mp, again, err)
			bad++
			continue
		}
		if len(fields) >= 4 && fields[3] != "-" {
			js, _ := hex.DecodeString(fields[3])
			jv, err := ctyjson.Unmarshal(js, ty)
			if err != nil {
				fmt.Printf("FAIL %s: go-cty cannot decode the C++ JSON %s: %v\n", name, js, err)
				bad++
				continue
			}
			jagain, _ := ctyjson.Marshal(jv, ty)
			if !bytes.Equal(jagain, js) {
				fmt.Printf("FAIL %s: C++ JSON %s, go-cty writes %s\n", name, js, jagain)
				bad++
				continue
			}
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Printf("ctycheck: %d C++ encodings decoded and re-encoded identically by go-cty, %d failed\n", n, bad)
	if bad > 0 || n == 0 {
		return fmt.Errorf("%d mismatches", bad)
	}
	return nil
}

func main() {
	genPath := flag.String("gen", "", "write go-cty test vectors to this file")
	checkPath := flag.String("check", "", "check C++ encodings in this file with go-cty")
	flag.Parse()
	var err error
	switch {
	case *genPath != "":
		err = generate(*genPath)
	case *checkPath != "":
		err = check(*checkPath)
	default:
		err = fmt.Errorf("usage: ctycheck -gen FILE | -check FILE")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ctycheck:", err)
		os.Exit(1)
	}
}
