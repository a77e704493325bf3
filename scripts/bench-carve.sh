#!/usr/bin/env bash
# Compares winnow's carving (scan --carve) with PhotoRec (Debian testdisk)
# on the same two images, built from generated benign pictures:
#   fat.img   a FAT32 file system holding JPEG (half with EXIF thumbnails),
#             PNG, GIF, BMP, WebP, HEIC and MP4 files, every other one
#             deleted with mdel: the deleted ones lie whole in free space;
#   blob.bin  random bytes with the same files at random sector offsets,
#             one in five cut to 60% (its end overwritten by random bytes).
# Recall: the deleted (fat.img) or planted (blob.bin) files recovered
# byte for byte; a cut file counts when an output holds its whole
# surviving prefix. Not decodable: outputs that winnow scan cannot
# analyse (verdict error), the same judge for both carvers; in brackets
# those winnow marks origin.truncated (PhotoRec marks none).
# Time: wall time of the carving run (winnow: scan --carve, which also
# hashes and matches what it carves; PhotoRec: carving and writing files).
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
	/usr/bin/time -o "$work/time" -f "%e %M" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
	echo "$label $(cat "$work/time")" >>"$work/times"
}

for img in fat.img blob.bin; do
	flag=--carve space=freespace # PhotoRec's free space of the FAT file system, as --carve
	[ "$img" = blob.bin ] && flag=--carve=all space=wholespace
	mkdir -p "$work/pr-$img"
	cat "$work/$img" >/dev/null # page cache: measure carving, not the disk
	[ "$img" = fat.img ] && timed "winnow-nocarve-$img" "$work/winnow" scan --no-progress --log-every 0 --html-thumbnails 0 --out "$work/n-$img" "$work/$img"
	timed "winnow-$img" "$work/winnow" scan "$flag" --no-progress --log-every 0 --html-thumbnails 0 --out "$work/w-$img" "$work/$img"
	(cd "$work" && timed "photorec-$img" photorec /log /d "$work/pr-$img/f" /cmd "$work/$img" \
		partition_none,options,paranoid,fileopt,everything,disable,jpg,enable,png,enable,gif,enable,bmp,enable,riff,enable,mov,enable,$space,search)
	# winnow's carved items, cut out of the image by their offset and length.
	python3 - "$work/$img" "$work/w-$img/report.json" "$work/wout-$img" <<'PY'
import json, os, sys
img, rep, out = sys.argv[1:]
os.makedirs(out)
b = open(img, 'rb').read()
cut = open(out + '.truncated', 'w')
for it in json.load(open(rep))['items']:
    o = it.get('origin') or {}
    if o.get('carved'):
        name = '%x.%s' % (o['offset'], it['path'].rsplit('.', 1)[1])
        open(os.path.join(out, name), 'wb').write(b[o['offset']:o['offset'] + o['length']])
        if o.get('truncated'):
            print(name, file=cut)
PY
	for who in wout pr; do
		"$work/winnow" scan --no-progress --log-every 0 --html-thumbnails 0 --out "$work/judge-$who-$img" "$work/$who-$img" >/dev/null 2>&1
	done
done

python3 - "$work" <<'PY'
import hashlib, json, os, sys
work = sys.argv[1]
times = {l.split()[0]: l.split()[1:] for l in open(os.path.join(work, 'times'))}
def files(d):
    for root, _, names in os.walk(d):
        for n in names:
            if n not in ('report.xml',) and not n.endswith('.log'):
                yield os.path.join(root, n)
def invalid(judge, marked):
    bad = [os.path.basename(it['path']) for it in json.load(open(os.path.join(judge, 'report.json')))['items'] if it['verdict'] == 'error']
    return '%d (%d)' % (len(bad), sum(1 for b in bad if b in marked))
size = {img: os.path.getsize(os.path.join(work, img)) >> 20 for img in ('fat.img', 'blob.bin')}
print('| image | carver | recovered | of which cut files | outputs | not decodable (marked truncated) | time (s) | peak RSS (MiB) |')
print('|---|---|---|---|---|---|---|---|')
for img, truth in (('fat.img', 'truth-fat'), ('blob.bin', 'truth-blob')):
    want = {n: open(p, 'rb').read() for p in files(os.path.join(work, truth)) for n in [os.path.basename(p)]}
    for who, out, label in (('winnow', 'wout-' + img, 'winnow-' + img), ('PhotoRec', 'pr-' + img, 'photorec-' + img)):
        got = [open(p, 'rb').read() for p in files(os.path.join(work, out))]
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
        print('| %s (%d MiB) | %s | %d/%d | %d/%d | %d | %s | %.2f | %d |' % (img, size[img], who, hit, len(want), cut, ncut, len(got),
              invalid(os.path.join(work, 'judge-%s-%s' % ('wout' if who == 'winnow' else 'pr', img)), marked), float(times[label][0]), int(times[label][1]) >> 10))
t = times['winnow-nocarve-fat.img']
print('\nwinnow scan of fat.img without --carve (its allocated files only): %.2f s, %d MiB.' % (float(t[0]), int(t[1]) >> 10))
PY
