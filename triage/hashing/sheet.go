package hashing

import (
	"image"
	"image/draw"

	"github.com/winnow-forensics/winnow/triage"
)

// sheet collects a contact sheet of a video's frames as they are decoded,
// in bounded memory whatever the video's length: it keeps an evenly spaced
// sample of the frames offered (every stride-th, doubling the stride when
// full) and lays out up to Max of them in a grid. Frames that carry
// little information (black, flat, repeated) are shown only when a video
// has nothing else.
type sheet struct {
	max    int
	stride int
	seen   int
	cells  []triage.FrameRef
	thumbs []*image.Gray
	dull   bool // the kept frames are uninformative ones
}

// Sheet sizes.
const (
	sheetFrames  = 16 // the most frames a contact sheet shows
	sheetColumns = 4
	sheetGutter  = 2
)

func newSheet() *sheet { return &sheet{max: sheetFrames, stride: 1} }

// wants reports whether the next frame offered would be kept if it is
// informative (or, while nothing is kept, if it is not): the caller makes
// its thumbnail only then.
func (s *sheet) wants() bool { return len(s.cells) == 0 || s.dull || s.seen%s.stride == 0 }

// add offers a frame's thumbnail (grayscale, as every thumbnail), in
// frame order. informative is false for frames a viewer learns nothing
// from. The Sheet keeps thumb.
func (s *sheet) add(c triage.FrameRef, thumb *image.Gray, informative bool) {
	if !informative {
		if len(s.cells) == 0 {
			s.cells, s.thumbs, s.dull = []triage.FrameRef{c}, []*image.Gray{thumb}, true
		}
		return
	}
	if s.dull {
		s.cells, s.thumbs, s.dull = nil, nil, false
		s.seen = 0
	}
	if s.seen%s.stride == 0 {
		s.cells = append(s.cells, c)
		s.thumbs = append(s.thumbs, thumb)
		if len(s.cells) == 2*s.max {
			for i := 0; i < s.max; i++ {
				s.cells[i], s.thumbs[i] = s.cells[2*i], s.thumbs[2*i]
			}
			clear(s.thumbs[s.max:])
			s.cells, s.thumbs = s.cells[:s.max], s.thumbs[:s.max]
			s.stride *= 2
		}
	}
	s.seen++
}

// image lays out the chosen frames, up to the sheet's maximum spread evenly
// over those kept, in a grid of sheetColumns columns, left to right and top
// to bottom, each in a cell the size of the largest thumbnail (centred),
// on black with a 2-pixel gutter. It returns nil when no frame was offered.
func (s *sheet) image() (*image.Gray, *triage.ContactSheet) {
	n := len(s.cells)
	if n == 0 {
		return nil, nil
	}
	pick := make([]int, 0, s.max)
	if n <= s.max {
		for i := range n {
			pick = append(pick, i)
		}
	} else {
		for i := range s.max {
			pick = append(pick, i*(n-1)/(s.max-1))
		}
	}
	cw, ch := 0, 0
	for _, i := range pick {
		b := s.thumbs[i].Bounds()
		cw, ch = max(cw, b.Dx()), max(ch, b.Dy())
	}
	cols := min(sheetColumns, len(pick))
	rows := (len(pick) + cols - 1) / cols
	out := image.NewGray(image.Rect(0, 0, cols*cw+(cols-1)*sheetGutter, rows*ch+(rows-1)*sheetGutter))
	cells := make([]triage.FrameRef, len(pick))
	for k, i := range pick {
		t := s.thumbs[i]
		b := t.Bounds()
		x := k%cols*(cw+sheetGutter) + (cw-b.Dx())/2
		y := k/cols*(ch+sheetGutter) + (ch-b.Dy())/2
		draw.Draw(out, image.Rect(x, y, x+b.Dx(), y+b.Dy()), t, b.Min, draw.Src)
		cells[k] = s.cells[i]
	}
	return out, &triage.ContactSheet{Columns: cols, Rows: rows, CellWidth: cw, CellHeight: ch, Gutter: sheetGutter, Frames: cells}
}
