package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/render"
	"github.com/ryomen-dev/ryomen/store"
)

//go:embed viewer
var viewerFiles embed.FS

func newServe() *cobra.Command {
	var addr string
	c := &cobra.Command{
		Use:   "serve IN",
		Short: "Serve an image to viewers over HTTP, with a built-in viewer page",
		Long: `Serve IN over HTTP on --addr (127.0.0.1:8000 by default; port 0 picks a free
port): its Zarr store under /data/ with CORS and Range requests, so that
Neuroglancer, vizarr or zarrita can open it, and a built-in viewer at /
(embedded, needs no network): a slice view with pan and zoom, axis and
index sliders, channel toggles and windows, and the label overlay with the
label ID under the cursor. The viewer draws tiles rendered by the server
(the views of 'ryomen snapshot'), so it needs no JavaScript codecs.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, err := render.Open(ctx, args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usagef("--addr %q: %v", addr, err)
			}
			base := "http://" + ln.Addr().String()
			printServeURLs(base, args[0], src)
			srv := &http.Server{Handler: newServeHandler(src), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				srv.Shutdown(sctx)
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	c.Flags().StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on (host:port; 0.0.0.0:PORT for every interface)")
	return c
}

// printServeURLs tells the user what to open.
func printServeURLs(base, in string, src *render.Source) {
	fmt.Printf("Serving %s\n  viewer:       %s/\n", in, base)
	if src.Store == nil {
		fmt.Printf("  (only the viewer: %s is not a Zarr store)\n", src.Image.Format)
	} else {
		data := base + "/data/" + strings.TrimSuffix(src.Inner, "/")
		data = strings.TrimSuffix(data, "/") + "/"
		scheme := "zarr3"
		if strings.Contains(src.Image.Format, "0.4") || strings.Contains(src.Image.Format, "v2") {
			scheme = "zarr2"
		}
		fmt.Printf("  data (Zarr):  %s\n  neuroglancer: %s://%s  (paste as a layer source)\n", data, scheme, data)
		for _, l := range src.Image.Labels {
			fmt.Printf("                %s://%slabels/%s  (labels: segmentation layer)\n", scheme, data, l)
		}
		fmt.Printf("  vizarr:       https://hms-dbmi.github.io/vizarr/?source=%s\n", data)
	}
	fmt.Println("Press Ctrl-C to stop.")
}

// viewServer answers the viewer's and other viewers' requests for one image.
type viewServer struct {
	src *render.Source
	// sem bounds the renders running at once.
	sem chan struct{}
}

// newServeHandler returns the HTTP handler of 'ryomen serve'.
func newServeHandler(src *render.Source) http.Handler {
	s := &viewServer{src: src, sem: make(chan struct{}, 2)}
	mux := http.NewServeMux()
	sub, _ := fs.Sub(viewerFiles, "viewer")
	mux.Handle("GET /viewer/", http.StripPrefix("/viewer/", http.FileServerFS(sub)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.HandleFunc("GET /api/info", s.info)
	mux.HandleFunc("GET /api/render", s.render)
	mux.HandleFunc("GET /api/label", s.label)
	mux.HandleFunc("/data/", s.data)
	return mux
}

// httpError writes err as a plain-text error.
func httpError(w http.ResponseWriter, code int, err error) {
	http.Error(w, err.Error(), code)
}

func (s *viewServer) info(w http.ResponseWriter, _ *http.Request) {
	im := s.src.Image
	type axis struct {
		Name  string  `json:"name"`
		Type  string  `json:"type"`
		Unit  string  `json:"unit,omitempty"`
		Scale float64 `json:"scale"`
	}
	type channel struct {
		Index  int     `json:"index"`
		Label  string  `json:"label"`
		Color  string  `json:"color"`
		Start  float64 `json:"start"`
		End    float64 `json:"end"`
		Active bool    `json:"active"`
	}
	out := struct {
		Format   string           `json:"format"`
		DType    string           `json:"dtype"`
		Shape    []int            `json:"shape"`
		Axes     []axis           `json:"axes"`
		Levels   [][]int          `json:"levels"`
		Planes   map[string][]int `json:"planes"`
		Channels []channel        `json:"channels"`
		Labels   []string         `json:"labels"`
	}{Format: im.Format, DType: im.Levels[0].DType().String(), Shape: im.Levels[0].Shape(), Planes: map[string][]int{}, Labels: im.Labels}
	for _, a := range im.Axes {
		out.Axes = append(out.Axes, axis{a.Name, string(a.Type), a.Unit, a.PhysicalScale()})
	}
	for _, l := range im.Levels {
		out.Levels = append(out.Levels, l.Shape())
	}
	for n := -1; n < len(im.Axes); n++ {
		if nn, r, c, err := render.PlaneAxes(im.Axes, n); err == nil && nn == n {
			out.Planes[strconv.Itoa(n)] = []int{r, c}
		}
	}
	for _, c := range s.src.Channels {
		out.Channels = append(out.Channels, channel{c.Index, c.Label, render.HexColor(c.Color), c.Start, c.End, c.Active})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (s *viewServer) render(w http.ResponseWriter, r *http.Request) {
	v, lbl, err := render.ParseView(s.src, r.URL.Query())
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-r.Context().Done():
		return
	}
	res, err := render.Render(r.Context(), s.src.Image, lbl, v)
	if err != nil {
		httpError(w, http.StatusUnprocessableEntity, err)
		return
	}
	var b bytes.Buffer
	if err := render.EncodePNG(&b, res.Image); err != nil {
		httpError(w, http.StatusInternalServerError, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Ryomen-Level", strconv.Itoa(res.Level))
	h.Set("Access-Control-Expose-Headers", "X-Ryomen-Level")
	w.Write(b.Bytes())
}

// label answers the label ID at a level-0 point: ?labels=NAME&at=z,y,x.
func (s *viewServer) label(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	lbl := s.src.Labels[q.Get("labels")]
	if lbl == nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("labels %q: the image has label images %v", q.Get("labels"), s.src.Image.Labels))
		return
	}
	var at []int
	for _, p := range strings.Split(q.Get("at"), ",") {
		i, err := strconv.Atoi(p)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Errorf("at %q: want one integer per axis", q.Get("at")))
			return
		}
		at = append(at, i)
	}
	id, err := render.LabelAt(s.src.Image, lbl, at)
	if err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, "{\"id\":%d}\n", id)
}

// data serves the image's Zarr store with CORS and Range requests.
func (s *viewServer) data(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Range, If-None-Match, If-Modified-Since, Content-Type")
	h.Set("Access-Control-Expose-Headers", "Content-Length, Content-Range, Accept-Ranges, ETag, Last-Modified")
	switch r.Method {
	case http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
		return
	case http.MethodGet, http.MethodHead:
	default:
		httpError(w, http.StatusMethodNotAllowed, fmt.Errorf("method %s: the store is read-only", r.Method))
		return
	}
	key := strings.TrimPrefix(r.URL.Path, "/data/")
	if s.src.Store == nil || key == "" || strings.HasSuffix(key, "/") {
		http.NotFound(w, r)
		return
	}
	if err := store.CheckKey(key); err != nil {
		httpError(w, http.StatusBadRequest, err)
		return
	}
	if s.src.Root != "" {
		s.file(w, r, key)
		return
	}
	b, err := s.src.Store.Get(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		httpError(w, http.StatusBadGateway, err)
		return
	}
	http.ServeContent(w, r, path.Base(key), time.Time{}, bytes.NewReader(b))
}

// file serves key from the local store root without reading it whole.
func (s *viewServer) file(w http.ResponseWriter, r *http.Request, key string) {
	f, err := os.Open(filepath.Join(s.src.Root, filepath.FromSlash(key)))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, path.Base(key), st.ModTime(), f)
}
