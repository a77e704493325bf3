// The item panel's world map: Natural Earth's land outlines (world.js,
// public domain), drawn locally as SVG in an equirectangular projection,
// with a marker at a GPS position. Nothing is fetched from anywhere.

import { LAND } from "./world.js";

const NS = "http://www.w3.org/2000/svg";
const W = 360, H = 180;
let pathData = "";

// outline returns the land as one SVG path (built once).
function outline() {
  if (pathData) return pathData;
  const parts = [];
  for (const ring of LAND) {
    let x = ring[0], y = ring[1];
    const pts = [`M${(x / 10 + 180).toFixed(1)},${(90 - y / 10).toFixed(1)}`];
    for (let i = 2; i < ring.length; i += 2) {
      x += ring[i];
      y += ring[i + 1];
      pts.push(`L${(x / 10 + 180).toFixed(1)},${(90 - y / 10).toFixed(1)}`);
    }
    parts.push(pts.join("") + "Z");
  }
  pathData = parts.join("");
  return pathData;
}

// worldMap returns an SVG map with a marker at lat, lon (degrees).
export function worldMap(lat, lon) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("id", "map");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `World map with the GPS position ${lat.toFixed(5)}, ${lon.toFixed(5)} marked`);
  const land = document.createElementNS(NS, "path");
  land.setAttribute("d", outline());
  svg.append(land);
  const dot = document.createElementNS(NS, "circle");
  dot.setAttribute("cx", (lon + 180).toFixed(2));
  dot.setAttribute("cy", (90 - lat).toFixed(2));
  dot.setAttribute("r", "3");
  svg.append(dot);
  return svg;
}
