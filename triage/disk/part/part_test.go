package part

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mustSfdisk makes a sparse image of size bytes partitioned by script.
func mustSfdisk(tb testing.TB, size int64, script string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "disk.img")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(p, size); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command("sfdisk", "-q", p)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("sfdisk (Debian fdisk): %v\n%s", err, out)
	}
	return p
}

var mmlsRow = regexp.MustCompile(`^\d+:\s+\d+(:\d+)?\s+(\d+)\s+\d+\s+(\d+)`)

// mmls lists the partitions The Sleuth Kit finds, as "start+length" in
// sectors.
func mmls(tb testing.TB, img string) []string {
	tb.Helper()
	out, err := exec.Command("mmls", img).Output()
	if err != nil {
		tb.Fatalf("mmls (Debian sleuthkit): %v", err)
	}
	var got []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if m := mmlsRow.FindStringSubmatch(sc.Text()); m != nil {
			s, _ := strconv.ParseInt(m[2], 10, 64)
			l, _ := strconv.ParseInt(m[3], 10, 64)
			got = append(got, fmt.Sprintf("%d+%d", s, l))
		}
	}
	slices.Sort(got)
	return got
}

func ours(tb testing.TB, img string) []Partition {
	tb.Helper()
	f, err := os.Open(img)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	p, err := Read(f, fi.Size())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func extents(ps []Partition) []string {
	var s []string
	for _, p := range ps {
		if p.TypeName != "extended" {
			s = append(s, fmt.Sprintf("%d+%d", p.Offset/512, p.Size/512))
		}
	}
	slices.Sort(s)
	return s
}

func TestAgainstMmls(t *testing.T) {
	for _, tc := range []struct {
		name, script string
		numbers      []int
	}{
		{"mbr-nested-extended", "label: dos\n,4M,c\n,2M,83\n,,5\n,3M,7\n,2M,83\n,,83\n", []int{1, 2, 5, 6, 7}},
		{"mbr-gap-slot", "label: dos\n1:start=2048,size=4096,type=83\n3:start=8192,size=4096,type=7\n", []int{1, 3}},
		{"gpt", "label: gpt\nsize=4M, type=L\nsize=3M, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=data\n", []int{1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := mustSfdisk(t, 20<<20, tc.script)
			got := ours(t, img)
			if g, w := extents(got), mmls(t, img); !slices.Equal(g, w) {
				t.Errorf("partitions %v, mmls %v", g, w)
			}
			var nums []int
			for _, p := range got {
				nums = append(nums, p.Number)
			}
			if !slices.Equal(nums, tc.numbers) {
				t.Errorf("numbers %v, want %v", nums, tc.numbers)
			}
		})
	}
}

func TestGPTBackupHeader(t *testing.T) {
	img := mustSfdisk(t, 20<<20, "label: gpt\nsize=4M, type=L, name=root\n")
	b, _ := os.ReadFile(img)
	copy(b[512:], make([]byte, 512)) // destroy the primary header
	p, err := Read(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(p) != 1 || p[0].Name != "root" || p[0].TypeName != "Linux filesystem" {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestHostile(t *testing.T) {
	mbr := func(ents ...[4]uint32) []byte {
		b := make([]byte, 1<<20)
		for i, e := range ents {
			o := 446 + 16*i
			b[o+4] = byte(e[0])
			binary.LittleEndian.PutUint32(b[o+8:], e[1])
			binary.LittleEndian.PutUint32(b[o+12:], e[2])
		}
		b[510], b[511] = 0x55, 0xaa
		return b
	}
	t.Run("outside the image", func(t *testing.T) {
		b := mbr([4]uint32{0x83, 2048, 1 << 30}, [4]uint32{0x07, 1 << 31, 100})
		p, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil || len(p) != 2 || p[0].Note == "" || p[1].Note == "" {
			t.Fatalf("got %+v, %v", p, err)
		}
	})
	t.Run("extended chain loops", func(t *testing.T) {
		b := mbr([4]uint32{0x05, 100, 1000})
		ebr := b[100*512:]
		ebr[446+4], ebr[446+8], ebr[446+12] = 0x83, 10, 10
		ebr[462+4] = 0x05 // link back to itself: start 0 relative to the extended partition
		ebr[462+12] = 10
		ebr[510], ebr[511] = 0x55, 0xaa
		p, err := Read(bytes.NewReader(b), int64(len(b)))
		if err != nil || len(p) != 2 || p[0].TypeName != "extended" || !strings.Contains(p[0].Note, "loops") || p[1].Number != 5 {
			t.Fatalf("got %+v, %v", p, err)
		}
	})
	t.Run("boot sector is not an MBR", func(t *testing.T) {
		b := make([]byte, 4096)
		copy(b[3:], "NTFS    ")
		b[446] = 0xeb // code bytes where MBR entries would be
		b[510], b[511] = 0x55, 0xaa
		if _, err := Read(bytes.NewReader(b), int64(len(b))); err != ErrNoTable {
			t.Fatalf("got %v, want ErrNoTable", err)
		}
	})
}
