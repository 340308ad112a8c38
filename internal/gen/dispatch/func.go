package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/printer"
	"strings"
)

// sig is a parameter or result of the generated function.
type sig struct {
	name, typ string
	array     bool // a *nd.Array[T] that becomes nd.Any
}

// gen is the generation of one directive.
type gen struct {
	ps      *pkgSource
	d       directive
	fd      *ast.FuncDecl
	nd      string // "nd." outside package nd
	t       string // the dispatched type parameter
	tparams []string
	kept    []string // "D Constraint" of the other type parameters
	params  []sig
	results []sig
}

// function returns the source of the function directive d asks for, and
// adds the imports it needs.
func (ps *pkgSource) function(d directive, imports map[string]string) (string, error) {
	fd, ok := ps.funcs[d.generic]
	if !ok {
		return "", fmt.Errorf("no function %s in the package", d.generic)
	}
	if fd.Type.TypeParams == nil {
		return "", fmt.Errorf("%s is not generic", d.generic)
	}
	g := &gen{ps: ps, d: d, fd: fd}
	if ps.name != "nd" {
		g.nd = "nd."
		imports["github.com/ryomen-dev/ryomen/nd"] = "nd"
	}
	if err := g.signature(); err != nil {
		return "", err
	}
	types, err := g.typeSet()
	if err != nil {
		return "", err
	}
	if err := g.imports(imports); err != nil {
		return "", err
	}
	return g.write(types, imports), nil
}

// signature finds the dispatched type parameter and rewrites the
// parameters and results.
func (g *gen) signature() error {
	for _, f := range g.fd.Type.TypeParams.List {
		for _, n := range f.Names {
			g.tparams = append(g.tparams, n.Name)
		}
	}
	if g.d.dt != "" {
		g.t = g.tparams[0]
	}
	var err error
	if g.params, err = g.fields(g.fd.Type.Params, g.d.param != ""); err != nil {
		return err
	}
	if g.t == "" {
		return fmt.Errorf("%s has no parameter %s of type *%sArray[T]", g.d.generic, g.d.param, g.nd)
	}
	if g.results, err = g.fields(g.fd.Type.Results, false); err != nil {
		return err
	}
	n := 0
	for _, r := range g.results {
		if r.array {
			n++
		}
	}
	if n > 1 {
		return errors.New("more than one *Array[T] result")
	}
	for _, f := range g.fd.Type.TypeParams.List {
		for _, nm := range f.Names {
			if nm.Name != g.t {
				g.kept = append(g.kept, nm.Name+" "+g.expr(f.Type))
			}
		}
	}
	return nil
}

// fields rewrites a parameter or result list; with find, the parameter
// named by the directive fixes the dispatched type parameter.
func (g *gen) fields(fl *ast.FieldList, find bool) ([]sig, error) {
	if fl == nil {
		return nil, nil
	}
	var out []sig
	for _, f := range fl.List {
		typ := g.expr(f.Type)
		names := []string{""}
		if len(f.Names) > 0 {
			names = names[:0]
			for _, n := range f.Names {
				names = append(names, n.Name)
			}
		}
		for _, n := range names {
			if find && n == g.d.param {
				tp, ok := arrayParam(f.Type, g.nd)
				if !ok || !contains(g.tparams, tp) {
					return nil, fmt.Errorf("parameter %s is %s, not *%sArray[T] of a type parameter T", n, typ, g.nd)
				}
				g.t = tp
			}
			out = append(out, sig{name: n, typ: typ})
		}
	}
	for i := range out {
		if g.t == "" || !mentions(out[i].typ, g.t) {
			continue
		}
		if out[i].typ != "*"+g.nd+"Array["+g.t+"]" {
			return nil, fmt.Errorf("%s has type %s: only *%sArray[%s] may mention %s", out[i].name, out[i].typ, g.nd, g.t, g.t)
		}
		out[i].typ, out[i].array = g.nd+"Any", true
	}
	if find && g.t == "" {
		return nil, nil
	}
	for _, s := range out {
		if s.name == "" && fl == g.fd.Type.Params {
			return nil, errors.New("every parameter needs a name")
		}
	}
	return out, nil
}

// arrayParam returns T when e is *Array[T] (*nd.Array[T] outside nd).
func arrayParam(e ast.Expr, nd string) (string, bool) {
	st, ok := e.(*ast.StarExpr)
	if !ok {
		return "", false
	}
	ix, ok := st.X.(*ast.IndexExpr)
	if !ok {
		return "", false
	}
	id, ok := ix.Index.(*ast.Ident)
	if !ok {
		return "", false
	}
	switch x := ix.X.(type) {
	case *ast.Ident:
		return id.Name, nd == "" && x.Name == "Array"
	case *ast.SelectorExpr:
		p, ok := x.X.(*ast.Ident)
		return id.Name, ok && nd == "nd." && p.Name == "nd" && x.Sel.Name == "Array"
	}
	return "", false
}

// typeSet returns the element types of the dispatched type parameter's
// constraint, in nd.DTypes order.
func (g *gen) typeSet() ([]string, error) {
	var expr string
	for _, f := range g.fd.Type.TypeParams.List {
		for _, n := range f.Names {
			if n.Name == g.t {
				expr = g.expr(f.Type)
			}
		}
	}
	in := map[string]bool{}
	for _, term := range strings.Split(expr, "|") {
		term = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(term), "~"), "nd.")
		if set, ok := constraints[term]; ok {
			for _, t := range set {
				in[t] = true
			}
			continue
		}
		found := false
		for _, e := range elemTypes {
			if e.goType == term {
				in[term], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("constraint %s of %s: %q is not an nd element type or constraint", expr, g.t, term)
		}
	}
	var out []string
	for _, e := range elemTypes {
		if in[e.goType] {
			out = append(out, e.goType)
		}
	}
	return out, nil
}

func (g *gen) expr(e ast.Expr) string {
	var b bytes.Buffer
	printer.Fprint(&b, g.ps.fset, e)
	return b.String()
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// mentions reports whether type expression typ uses identifier id.
func mentions(typ, id string) bool {
	isID := func(r byte) bool {
		return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	for i := 0; i+len(id) <= len(typ); i++ {
		if typ[i:i+len(id)] == id && (i == 0 || !isID(typ[i-1])) && (i+len(id) == len(typ) || !isID(typ[i+len(id)])) {
			return true
		}
	}
	return false
}

// imports adds the packages the signature's types name.
func (g *gen) imports(imports map[string]string) error {
	f := g.ps.files[g.d.generic]
	var err error
	ast.Inspect(g.fd.Type, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		for _, im := range f.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			name := defaultName(p)
			if im.Name != nil {
				name = im.Name.Name
			}
			if name == id.Name {
				imports[p] = name
				return true
			}
		}
		err = fmt.Errorf("no import for %s in %s", id.Name, g.ps.fset.Position(f.Pos()).Filename)
		return true
	})
	return err
}

// write returns the generated function.
func (g *gen) write(types []string, imports map[string]string) string {
	var b strings.Builder
	for _, l := range g.d.doc {
		b.WriteString(l + "\n")
	}
	fmt.Fprintf(&b, "func %s", g.d.name)
	if len(g.kept) > 0 {
		fmt.Fprintf(&b, "[%s]", strings.Join(g.kept, ", "))
	}
	var ps []string
	if g.d.dt != "" {
		ps = append(ps, g.d.dt+" "+g.nd+"DType")
	}
	for _, p := range g.params {
		ps = append(ps, p.name+" "+p.typ)
	}
	var rs []string
	for _, r := range g.results {
		rs = append(rs, r.typ)
	}
	fmt.Fprintf(&b, "(%s)", strings.Join(ps, ", "))
	switch len(rs) {
	case 0:
	case 1:
		b.WriteString(" " + rs[0])
	default:
		fmt.Fprintf(&b, " (%s)", strings.Join(rs, ", "))
	}
	b.WriteString(" {\n")
	if g.d.dt != "" {
		fmt.Fprintf(&b, "switch %s {\n", g.d.dt)
	} else {
		fmt.Fprintf(&b, "switch %s := %s.(type) {\n", g.d.param, g.d.param)
	}
	for _, t := range types {
		g.writeCase(&b, t)
	}
	b.WriteString("}\n")
	g.writeDefault(&b, imports)
	b.WriteString("}\n\n")
	return b.String()
}

// elem returns the Go spelling of element type t, and its DType constant.
func (g *gen) elem(t string) (string, string) {
	for _, e := range elemTypes {
		if e.goType == t {
			if t == "Float16" || t == "Bool" {
				return g.nd + t, g.nd + e.dtype
			}
			return t, g.nd + e.dtype
		}
	}
	panic("unknown element type " + t)
}

// writeCase writes the case of element type t.
func (g *gen) writeCase(b *strings.Builder, t string) {
	goType, dt := g.elem(t)
	if g.d.dt != "" {
		fmt.Fprintf(b, "case %s:\n", dt)
	} else {
		fmt.Fprintf(b, "case *%sArray[%s]:\n", g.nd, goType)
	}
	var targs, args []string
	for _, tp := range g.tparams {
		if tp == g.t {
			targs = append(targs, goType)
		} else {
			targs = append(targs, tp)
		}
	}
	for _, p := range g.params {
		a := p.name
		if p.array && p.name != g.d.param {
			a = fmt.Sprintf("%s.(*%sArray[%s])", p.name, g.nd, goType)
		}
		if strings.HasPrefix(p.typ, "...") {
			a += "..."
		}
		args = append(args, a)
	}
	call := fmt.Sprintf("%s[%s](%s)", g.d.generic, strings.Join(targs, ", "), strings.Join(args, ", "))
	arr := -1
	for i, r := range g.results {
		if r.array {
			arr = i
		}
	}
	switch {
	case len(g.results) == 0:
		fmt.Fprintf(b, "%s\nreturn\n", call)
	case arr < 0:
		fmt.Fprintf(b, "return %s\n", call)
	default:
		// A nil *Array result is a nil nd.Any, not an interface holding a
		// nil pointer.
		vs := make([]string, len(g.results))
		for i := range vs {
			vs[i] = fmt.Sprintf("v%d", i)
		}
		fmt.Fprintf(b, "%s := %s\n", strings.Join(vs, ", "), call)
		nils := append([]string(nil), vs...)
		nils[arr] = "nil"
		fmt.Fprintf(b, "if v%d == nil {\nreturn %s\n}\nreturn %s\n", arr, strings.Join(nils, ", "), strings.Join(vs, ", "))
	}
}

// writeDefault writes what follows the switch: an error, a panic or zero
// values.
func (g *gen) writeDefault(b *strings.Builder, imports map[string]string) {
	msg := fmt.Sprintf("%q, %s", g.ps.name+": "+g.d.name+" of unsupported array type %T", g.d.param)
	if g.d.dt != "" {
		msg = fmt.Sprintf("%q, %s", g.ps.name+": "+g.d.name+" of unsupported dtype %v", g.d.dt)
	}
	last := len(g.results) - 1
	withErr := last >= 0 && g.results[last].typ == "error"
	if !g.d.zero && !withErr {
		imports["fmt"] = "fmt"
		fmt.Fprintf(b, "panic(fmt.Sprintf(%s))\n", msg)
		return
	}
	if len(g.results) == 0 {
		b.WriteString("return\n")
		return
	}
	zs := make([]string, len(g.results))
	for i, r := range g.results {
		zs[i] = fmt.Sprintf("z%d", i)
		if i == last && withErr && !g.d.zero {
			imports["fmt"] = "fmt"
			zs[i] = fmt.Sprintf("fmt.Errorf(%s)", msg)
			continue
		}
		fmt.Fprintf(b, "var z%d %s\n", i, r.typ)
	}
	fmt.Fprintf(b, "return %s\n", strings.Join(zs, ", "))
}
