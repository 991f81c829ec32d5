package main

// Schemas and values as Terraform core sees them: the implied type of a block
// (configschema.Block.ImpliedType), DynamicValue through go-cty's msgpack and JSON codecs,
// objchange.ProposedNew for attributes, the apply-result checks of
// objchange.AssertObjectCompatible, and diagnostics.

import (
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
	ctymsgpack "github.com/zclconf/go-cty/cty/msgpack"

	pb "tfcheck/tfplugin6"
)

// impliedType is the object type Terraform derives from a block.
func impliedType(b *pb.Schema_Block) (cty.Type, error) {
	attrs := map[string]cty.Type{}
	for _, a := range b.GetAttributes() {
		t, err := attrType(a)
		if err != nil {
			return cty.NilType, fmt.Errorf("attribute %q: %v", a.Name, err)
		}
		attrs[a.Name] = t
	}
	for _, nb := range b.GetBlockTypes() {
		et, err := impliedType(nb.Block)
		if err != nil {
			return cty.NilType, fmt.Errorf("block %q: %v", nb.TypeName, err)
		}
		switch nb.Nesting {
		case pb.Schema_NestedBlock_SINGLE, pb.Schema_NestedBlock_GROUP:
			attrs[nb.TypeName] = et
		case pb.Schema_NestedBlock_LIST:
			if et.HasDynamicTypes() {
				attrs[nb.TypeName] = cty.DynamicPseudoType
			} else {
				attrs[nb.TypeName] = cty.List(et)
			}
		case pb.Schema_NestedBlock_SET:
			attrs[nb.TypeName] = cty.Set(et)
		case pb.Schema_NestedBlock_MAP:
			if et.HasDynamicTypes() {
				attrs[nb.TypeName] = cty.DynamicPseudoType
			} else {
				attrs[nb.TypeName] = cty.Map(et)
			}
		default:
			return cty.NilType, fmt.Errorf("block %q: nesting mode %v", nb.TypeName, nb.Nesting)
		}
	}
	return cty.Object(attrs), nil
}

func attrType(a *pb.Schema_Attribute) (cty.Type, error) {
	if a.NestedType == nil {
		return ctyjson.UnmarshalType(a.Type)
	}
	if len(a.Type) != 0 {
		return cty.NilType, fmt.Errorf("both type and nested_type")
	}
	attrs := map[string]cty.Type{}
	for _, na := range a.NestedType.Attributes {
		t, err := attrType(na)
		if err != nil {
			return cty.NilType, err
		}
		attrs[na.Name] = t
	}
	o := cty.Object(attrs)
	switch a.NestedType.Nesting {
	case pb.Schema_Object_SINGLE:
		return o, nil
	case pb.Schema_Object_LIST:
		return cty.List(o), nil
	case pb.Schema_Object_SET:
		return cty.Set(o), nil
	case pb.Schema_Object_MAP:
		return cty.Map(o), nil
	}
	return cty.NilType, fmt.Errorf("nested_type nesting %v", a.NestedType.Nesting)
}

// encode gives a DynamicValue the way core sends them: msgpack of the value converted to
// the schema's type.
func encode(v cty.Value, t cty.Type) (*pb.DynamicValue, error) {
	b, err := ctymsgpack.Marshal(v, t)
	if err != nil {
		return nil, err
	}
	return &pb.DynamicValue{Msgpack: b}, nil
}

func mustEncode(v cty.Value, t cty.Type) *pb.DynamicValue {
	dv, err := encode(v, t)
	if err != nil {
		panic(fmt.Sprintf("encoding %#v: %v", v, err))
	}
	return dv
}

// decode reads a DynamicValue as core does (plugin6/convert: msgpack, else JSON, else
// null), against the type the provider announced.
func decode(dv *pb.DynamicValue, t cty.Type) (cty.Value, error) {
	switch {
	case dv == nil:
		return cty.NullVal(t), nil
	case len(dv.Msgpack) > 0:
		return ctymsgpack.Unmarshal(dv.Msgpack, t)
	case len(dv.Json) > 0:
		return ctyjson.Unmarshal(dv.Json, t)
	}
	return cty.NullVal(t), nil
}

// proposedNew is objchange.ProposedNew for a block's attributes: a computed attribute
// left null in config takes its prior value; everything else takes the config value.
// Nested blocks take the config value (the example provider has none).
func proposedNew(b *pb.Schema_Block, prior, config cty.Value) cty.Value {
	if config.IsNull() {
		return prior
	}
	if prior.IsNull() {
		prior = cty.NullVal(config.Type())
	}
	out := map[string]cty.Value{}
	for name, cv := range config.AsValueMap() {
		out[name] = cv
	}
	for _, a := range b.GetAttributes() {
		cv := config.GetAttr(a.Name)
		if a.Computed && cv.IsNull() {
			if prior.IsNull() {
				out[a.Name] = cty.NullVal(cv.Type())
			} else {
				out[a.Name] = prior.GetAttr(a.Name)
			}
		}
	}
	return cty.ObjectVal(out)
}

// compatible is objchange.AssertObjectCompatible: every known planned value must come back
// exactly; unknown planned values may become anything of their type.
func compatible(planned, actual cty.Value, path cty.Path) []string {
	var errs []string
	where := pathString(path)
	switch {
	case !planned.IsKnown():
		return nil
	case !actual.IsKnown():
		return []string{where + ": was known, but now unknown"}
	case planned.IsNull() && !actual.IsNull():
		return []string{where + ": was null, but now " + actual.GoString()}
	case !planned.IsNull() && actual.IsNull():
		return []string{where + ": was " + planned.GoString() + ", but now null"}
	case planned.IsNull():
		return nil
	}
	ty := planned.Type()
	switch {
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			errs = append(errs, compatible(planned.GetAttr(name), actual.GetAttr(name), path.GetAttr(name))...)
		}
	case ty.IsListType() || ty.IsTupleType() || ty.IsMapType():
		if planned.LengthInt() != actual.LengthInt() {
			return []string{fmt.Sprintf("%s: %d elements planned, %d after apply", where, planned.LengthInt(), actual.LengthInt())}
		}
		for it := planned.ElementIterator(); it.Next(); {
			k, pv := it.Element()
			if actual.HasIndex(k).False() {
				errs = append(errs, where+": element "+k.GoString()+" has vanished")
				continue
			}
			errs = append(errs, compatible(pv, actual.Index(k), path.Index(k))...)
		}
	default:
		if planned.IsWhollyKnown() && !planned.RawEquals(actual) {
			errs = append(errs, fmt.Sprintf("%s: was %#v, but now %#v", where, planned, actual))
		}
	}
	return errs
}

func pathString(p cty.Path) string {
	var b strings.Builder
	for _, s := range p {
		switch s := s.(type) {
		case cty.GetAttrStep:
			b.WriteString("." + s.Name)
		case cty.IndexStep:
			b.WriteString("[" + s.Key.GoString() + "]")
		}
	}
	if b.Len() == 0 {
		return "(root)"
	}
	return b.String()
}

func protoPath(p *pb.AttributePath) string {
	var parts []string
	for _, s := range p.GetSteps() {
		switch sel := s.Selector.(type) {
		case *pb.AttributePath_Step_AttributeName:
			parts = append(parts, "."+sel.AttributeName)
		case *pb.AttributePath_Step_ElementKeyString:
			parts = append(parts, fmt.Sprintf("[%q]", sel.ElementKeyString))
		case *pb.AttributePath_Step_ElementKeyInt:
			parts = append(parts, fmt.Sprintf("[%d]", sel.ElementKeyInt))
		}
	}
	return strings.Join(parts, "")
}

func showDiags(ds []*pb.Diagnostic) string {
	if len(ds) == 0 {
		return "no diagnostics"
	}
	var out []string
	for _, d := range ds {
		s := fmt.Sprintf("%s: %s: %s", d.Severity, d.Summary, d.Detail)
		if d.Attribute != nil {
			s += " (at " + protoPath(d.Attribute) + ")"
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

func errorDiags(ds []*pb.Diagnostic) []*pb.Diagnostic {
	var out []*pb.Diagnostic
	for _, d := range ds {
		if d.Severity == pb.Diagnostic_ERROR {
			out = append(out, d)
		}
	}
	return out
}
