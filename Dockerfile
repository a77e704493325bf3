# The winnow binary for the api and worker services of docker-compose.yml.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libturbojpeg0-dev libheif-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN make build TURBO=1 HEIF=1 VERSION=docker

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
		libturbojpeg0 libheif1 ffmpeg libimage-exiftool-perl curl ca-certificates && \
	rm -rf /var/lib/apt/lists/* && useradd --system --uid 10001 winnow && \
	install -d -o winnow -m 0700 /var/lib/winnow/audit
COPY --from=build /src/bin/winnow /usr/local/bin/winnow
USER winnow
ENTRYPOINT ["winnow"]
CMD ["serve"]
