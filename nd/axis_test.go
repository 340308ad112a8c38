package nd

import "testing"

func TestDefaultAxes(t *testing.T) {
	cases := map[int]string{2: "yx", 3: "zyx", 4: "czyx", 5: "tczyx"}
	for rank, want := range cases {
		axes := DefaultAxes(rank)
		got := ""
		for _, a := range axes {
			got += a.Name
		}
		if got != want {
			t.Errorf("rank %d: axes %q, want %q", rank, got, want)
		}
		if err := CheckAxes(axes, rank); err != nil {
			t.Error(err)
		}
	}
	a6 := DefaultAxes(6)
	if a6[0].Name != "dim_0" || a6[0].IsSpace() || len(SpaceAxes(a6)) != 3 {
		t.Errorf("rank 6: %+v", a6)
	}
}

func TestAxesFromNames(t *testing.T) {
	axes := AxesFromNames([]string{"T", "c", "", "y", "angle"})
	want := []AxisType{Time, Channel, Space, Space, "other"}
	for i, a := range axes {
		if a.Type != want[i] {
			t.Errorf("axis %d %q: type %q, want %q", i, a.Name, a.Type, want[i])
		}
	}
	if axes[2].Name != "z" {
		t.Errorf("empty name took %q, want the default z", axes[2].Name)
	}
	if got := SpaceAxes(axes); len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("SpaceAxes = %v", got)
	}
}

func TestCheckAxes(t *testing.T) {
	bad := [][]Axis{
		{{Name: "x"}, {Name: "x"}},
		{{Name: ""}, {Name: "x"}},
		{{Name: "y", Scale: -1}, {Name: "x"}},
	}
	for _, axes := range bad {
		if CheckAxes(axes, 2) == nil {
			t.Errorf("%+v accepted", axes)
		}
	}
	if CheckAxes(DefaultAxes(3), 2) == nil {
		t.Error("3 axes accepted for rank 2")
	}
}
