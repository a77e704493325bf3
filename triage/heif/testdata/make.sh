#!/bin/sh
# Regenerates the HEIC/AVIF fixtures from generated, benign images with
# Debian 12's heif-enc (libheif-examples 1.15.1), avifenc (libavif-bin
# 0.11.1), exiftool and ffmpeg. Run from the repository root:
#   sh triage/heif/testdata/make.sh
set -eu
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./triage/triagetest/genphotos -n 1 -w 320 -h 240 -q 92 -out "$tmp" >/dev/null
cd "$tmp"
exiftool -q -overwrite_original -Make=WinnowTest -Model="Generated Camera" \
  -DateTimeOriginal="2024:05:06 07:08:09" -CreateDate="2024:05:06 07:08:09" \
  -GPSLatitude=48.8584 -GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E photo-0000.jpg
cp photo-0000.jpg oriented.jpg
exiftool -q -overwrite_original -n -Orientation=6 oriented.jpg
ffmpeg -v error -y -i photo-0000.jpg -vf "format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,160),255,128)'" alpha.png
ffmpeg -v error -y -i photo-0000.jpg -pix_fmt rgb48be deep.png
heif-enc -q 50 photo-0000.jpg -o "$out/photo.heic"
heif-enc -q 50 oriented.jpg -o "$out/oriented-exif.heic"
heif-enc -q 50 alpha.png -o "$out/alpha.heic"
heif-enc -q 50 -b 10 deep.png -o "$out/deep10.heic"
a="avifenc -s 8 --min 20 --max 40"
$a photo-0000.jpg "$out/photo.avif" >/dev/null
$a --irot 1 --imir 1 photo-0000.jpg "$out/oriented.avif" >/dev/null
$a -g 2x2 photo-0000.jpg "$out/grid.avif" >/dev/null
$a alpha.png "$out/alpha.avif" >/dev/null
$a -d 10 deep.png "$out/deep10.avif" >/dev/null
