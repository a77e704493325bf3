#!/usr/bin/env bash
# Compares winnow's carving (scan --carve) with PhotoRec (Debian testdisk)
# on the same images, built without root from generated benign pictures:
#   fat.img   a FAT32 file system (mkfs.fat -C, mcopy) holding JPEG (half
#             with EXIF thumbnails), PNG, GIF, BMP, WebP, HEIC and MP4
#             files, every other one deleted with mdel;
#   ntfs.img  an NTFS file system (mkntfs -F, ntfscp) with the same files,
#             every other one truncated to 0 bytes with ntfstruncate (its
#             clusters freed, its MFT entry left without data);
#   ext4.img  an ext4 file system (mkfs.ext4 -d) with the same files,
#             every other one removed with debugfs -w -R rm;
#   ntfs.E01  ntfs.img acquired with ewfacquire -u (EnCase 6, one segment);
#             Debian's PhotoRec has no libewf, so it carves ntfs.img;
#   blob.bin  random bytes with the same files at random sector offsets,
#             one in five cut to 60% (its end overwritten by random bytes).
# In each file system the removed files' data lies whole in free space.
# Recall: the removed (file systems) or planted (blob.bin) files recovered
# byte for byte; a cut file counts when an output holds its whole
# surviving prefix. Invalid: outputs that do not decode to a picture with
# one independent judge for both carvers (ffmpeg, which decodes what a cut
# file holds; heif-convert for HEIF); in brackets those winnow marks
# origin.truncated (PhotoRec marks none). Winnow does not emit a carved
# candidate cut short that no decoder reads; the last column gives its
# report's count of them (counts.carved_undecodable).
# Time: wall and CPU (user+sys) time of the carving run (winnow: scan
# --carve, which also hashes and matches what it carves and the allocated
# files; PhotoRec: carving and writing files); MiB/s per core is the
# image's size over that CPU time; peak RSS from /usr/bin/time.
# Usage: scripts/bench-carve.sh [N_PER_FORMAT]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-24}
work=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "work: $work" >&2 || trap 'rm -rf "$work"' EXIT
go build -tags turbojpeg,libheif -o "$work/winnow" ./cmd/winnow
export MTOOLS_SKIP_CHECK=1
pics=$work/pics
mkdir -p "$pics"

# Pictures: FFmpeg test patterns at varied sizes and times.
gen() { # gen NAME WxH T [ffmpeg output args...]
	local name=$1 size=$2 t=$3
	shift 3
	ffmpeg -v error -f lavfi -i "testsrc2=size=$size:rate=25:duration=60" -ss "$t" -frames:v 1 "$@" -y "$pics/$name"
}
for i in $(seq 1 "$n"); do
	w=$((160 + 37 * i)) h=$((120 + 23 * i))
	gen "p$i.jpg" "${w}x$h" "$i.2" -q:v 3
	if [ $((i % 2)) = 0 ]; then
		gen "t$i.jpg" 160x120 "$i.7" -q:v 5
		exiftool -q -overwrite_original "-ThumbnailImage<=$pics/t$i.jpg" "$pics/p$i.jpg"
		rm "$pics/t$i.jpg"
	fi
	gen "p$i.png" "${h}x$w" "$i.4"
	gen "p$i.gif" "$((w / 2))x$((h / 2))" "$i.6"
	gen "p$i.bmp" "$((w / 2))x$((h / 2))" "$i.8" -pix_fmt bgr24
	gen "p$i.webp" "${w}x$h" "$i.9"
	if [ $((i % 3)) = 0 ]; then
		gen "h$i.png" "${w}x$h" "$i.1"
		heif-enc -q 50 -o "$pics/p$i.heic" "$pics/h$i.png" >/dev/null
		rm "$pics/h$i.png"
		ffmpeg -v error -f lavfi -i "testsrc2=size=${w}x$h:rate=10" -t 1 -c:v libx264 -pix_fmt yuv420p -y "$pics/p$i.mp4"
	fi
done
mapfile -t files < <(cd "$pics" && ls | sort -V)

# fat.img: everything copied, every other file deleted.
total=$(du -sk "$pics" | cut -f1)
mkfs.fat -C -F 32 "$work/fat.img" $((total * 2 + 65536)) >/dev/null
mkdir -p "$work/truth-fat"
for k in "${!files[@]}"; do
	mcopy -i "$work/fat.img" "$pics/${files[k]}" "::/${files[k]}"
done
for k in "${!files[@]}"; do
	if [ $((k % 2)) = 0 ]; then
		mdel -i "$work/fat.img" "::/${files[k]}"
		cp "$pics/${files[k]}" "$work/truth-fat/"
	fi
done

# ntfs.img: everything copied, every other file's data freed.
mib=$((total * 2 / 1024 + 16))
truncate -s "${mib}M" "$work/ntfs.img"
mkntfs -F -Q -q "$work/ntfs.img" >/dev/null 2>&1
mkdir -p "$work/truth-ntfs"
for k in "${!files[@]}"; do
	ntfscp "$work/ntfs.img" "$pics/${files[k]}" "/${files[k]}" >/dev/null
done
declare -A inode
while read -r ino _ _ _ _ _ name; do inode[$name]=$ino; done < <(ntfsls -l -i "$work/ntfs.img" 2>/dev/null)
for k in "${!files[@]}"; do
	if [ $((k % 2)) = 0 ]; then
		ntfstruncate -q "$work/ntfs.img" "${inode[${files[k]}]}" 0 2>/dev/null
		cp "$pics/${files[k]}" "$work/truth-ntfs/"
	fi
done
ewfacquire -u -q -t "$work/ntfs" -f encase6 "$work/ntfs.img" >/dev/null

# ext4.img: everything copied, every other file removed.
mkfs.ext4 -q -F -d "$pics" "$work/ext4.img" "${mib}M" >/dev/null 2>&1
mkdir -p "$work/truth-ext4"
for k in "${!files[@]}"; do
	if [ $((k % 2)) = 0 ]; then
		echo "rm /${files[k]}"
		cp "$pics/${files[k]}" "$work/truth-ext4/"
	fi
done >"$work/ext4-rm"
debugfs -w -f "$work/ext4-rm" "$work/ext4.img" >/dev/null 2>&1

# blob.bin: random bytes, each file at a random sector offset past the
# one before, one in five cut to 60%.
python3 - "$work" "$pics" "${files[@]}" <<'PY'
import os, random, sys
work, pics, names = sys.argv[1], sys.argv[2], sys.argv[3:]
rng = random.Random(15)
datas = [open(os.path.join(pics, n), 'rb').read() for n in names]
size = sum(len(d) for d in datas) * 3 // 2 + (len(datas) + 1) * 64 * 512
blob = bytearray(rng.randbytes(size))
os.makedirs(os.path.join(work, 'truth-blob'))
at = 512 * rng.randrange(1, 64)
for i, (n, d) in enumerate(zip(names, datas)):
    if i % 5 == 4:
        d = d[:len(d) * 3 // 5]
        n = 'cut-' + n
    blob[at:at + len(d)] = d
    open(os.path.join(work, 'truth-blob', n), 'wb').write(d)
    at = (at + len(d) + 511) // 512 * 512 + 512 * rng.randrange(1, 64)
open(os.path.join(work, 'blob.bin'), 'wb').write(blob[:at])
PY

# timed LABEL CMD...: runs CMD, appends "LABEL seconds peak-RSS-KiB" to times.
timed() {
	local label=$1
	shift
	/usr/bin/time -o "$work/time" -f "%e %M %U %S" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
	echo "$label $(cat "$work/time")" >>"$work/times"
}

for img in fat.img ntfs.img ext4.img ntfs.E01 blob.bin; do
	flag=--carve space=freespace # PhotoRec's free space of the file system, as --carve
	[ "$img" = blob.bin ] && flag=--carve=all space=wholespace
	raw=$img # the raw media: PhotoRec's input, and where carved items are cut from
	[ "$img" = ntfs.E01 ] && raw=ntfs.img
	mkdir -p "$work/pr-$img"
	cat "$work/$img" >/dev/null # page cache: measure carving, not the disk
	[ "$img" != blob.bin ] && timed "winnow-nocarve-$img" "$work/winnow" scan --no-progress --log-every 0 --html-thumbnails 0 --out "$work/n-$img" "$work/$img"
	timed "winnow-$img" "$work/winnow" scan "$flag" --no-progress --log-every 0 --html-thumbnails 0 --out "$work/w-$img" "$work/$img"
	(cd "$work" && timed "photorec-$img" photorec /log /d "$work/pr-$img/f" /cmd "$work/$raw" \
		partition_none,options,paranoid,fileopt,everything,disable,jpg,enable,png,enable,gif,enable,bmp,enable,riff,enable,mov,enable,$space,search)
	# winnow's carved items, cut out of the image by their offset and length
	# (or, joined across allocated blocks, by their fragments in turn).
	python3 - "$work/$raw" "$work/w-$img/report.json" "$work/wout-$img" <<'PY'
import json, os, sys
img, rep, out = sys.argv[1:]
os.makedirs(out)
b = open(img, 'rb').read()
cut = open(out + '.truncated', 'w')
for it in json.load(open(rep))['items']:
    o = it.get('origin') or {}
    if o.get('carved'):
        pieces = [(f['offset'], f['length']) for f in o.get('fragments') or []] or [(o['offset'], o['length'])]
        name = '%x.%s' % (pieces[0][0], it['path'].rsplit('.', 1)[1])
        open(os.path.join(out, name), 'wb').write(b''.join(b[off:off + n] for off, n in pieces))
        if o.get('truncated'):
            print(name, file=cut)
PY
done

python3 - "$work" <<'PY'
import hashlib, json, os, subprocess, sys, tempfile
work = sys.argv[1]
times = {l.split()[0]: l.split()[1:] for l in open(os.path.join(work, 'times'))}
def files(d):
    for root, _, names in os.walk(d):
        for n in names:
            if n not in ('report.xml',) and not n.endswith('.log'):
                yield os.path.join(root, n)
def decodes(path):
    # The judge: ffmpeg decodes one frame (a cut JPEG gives the rows it
    # holds and exits 0), heif-convert for HEIF (ffmpeg 5 reads none).
    head = open(path, 'rb').read(16)
    if head[4:8] == b'ftyp' and head[8:12] in (b'heic', b'heix', b'mif1', b'msf1', b'avif'):
        with tempfile.TemporaryDirectory() as d:
            return subprocess.run(['heif-convert', path, os.path.join(d, 'o.png')], capture_output=True).returncode == 0
    r = subprocess.run(['ffmpeg', '-nostdin', '-v', 'error', '-i', path, '-frames:v', '1', '-f', 'framecrc', '-'], capture_output=True)
    return r.returncode == 0 and any(l and not l.startswith(b'#') for l in r.stdout.splitlines())
images = (('fat.img', 'truth-fat'), ('ntfs.img', 'truth-ntfs'), ('ext4.img', 'truth-ext4'), ('ntfs.E01', 'truth-ntfs'), ('blob.bin', 'truth-blob'))
size = {img: os.path.getsize(os.path.join(work, img)) / (1 << 20) for img, _ in images}
print('| image | carver | recovered | of which cut files | outputs | invalid (marked truncated) | time (s) | CPU (s) | MiB/s per core | peak RSS (MiB) | dropped as undecodable |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for img, truth in images:
    want = {n: open(p, 'rb').read() for p in files(os.path.join(work, truth)) for n in [os.path.basename(p)]}
    for who, out, label in (('winnow', 'wout-' + img, 'winnow-' + img), ('PhotoRec', 'pr-' + img, 'photorec-' + img)):
        paths = list(files(os.path.join(work, out)))
        got = [open(p, 'rb').read() for p in paths]
        whole = {hashlib.sha256(g).digest() for g in got}
        hit = cut = 0
        for n, d in want.items():
            if n.startswith('cut-'):
                if any(g.startswith(d) for g in got):
                    hit += 1; cut += 1
            elif hashlib.sha256(d).digest() in whole:
                hit += 1
        ncut = sum(1 for n in want if n.startswith('cut-'))
        marked = set(open(os.path.join(work, 'wout-%s.truncated' % img)).read().split()) if who == 'winnow' else set()
        bad = [os.path.basename(p) for p in paths if not decodes(p)]
        t = times[label]
        cpu = float(t[2]) + float(t[3])
        name = img if who == 'winnow' or img != 'ntfs.E01' else 'ntfs.E01 (PhotoRec: ntfs.img)'
        dropped = ''
        if who == 'winnow':
            dropped = json.load(open(os.path.join(work, 'w-' + img, 'report.json')))['counts']['carved_undecodable']
        print('| %s (%d MiB) | %s | %d/%d | %d/%d | %d | %d (%d) | %.2f | %.2f | %.0f | %d | %s |' % (name, size[img], who, hit, len(want), cut, ncut, len(got),
              len(bad), sum(1 for b in bad if b in marked), float(t[0]), cpu, size[img] / max(cpu, 0.01), int(t[1]) >> 10, dropped))
print()
for img, _ in images[:-1]:
    t, c = times['winnow-nocarve-' + img], times['winnow-' + img]
    extra = float(c[2]) + float(c[3]) - float(t[2]) - float(t[3])
    print('winnow scan of %s without --carve (its allocated files only): %.2f s, CPU %.2f s, %d MiB; --carve adds %.2f CPU s (%.0f MiB/s per core for carving and analysing the carved items).' % (
        img, float(t[0]), float(t[2]) + float(t[3]), int(t[1]) >> 10, extra, size[img] / max(extra, 0.01)))
PY
