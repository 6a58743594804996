// The layout of a collection of image files (a folder or a zip): one shape for all of them (odd sizes
// refused by name), gray or colour, and labels from sub-folders: images directly in the collection
// have no labels; images one folder down are labelled by that folder's name (the class names in
// sorted order are labels 0, 1, ...); both at once is refused. Pure and browser-safe.
import type { ImageHeader } from './image-header';
import { MAX_CLASSES, type ImageShape } from './image-set';

export interface ImageItem {
  /** Relative path, '/'-separated: 'x.png' (unlabelled) or 'cat/x.png' (class 'cat'). */
  path: string;
  header: ImageHeader;
}

export interface ImageLayout {
  shape: ImageShape;
  labels?: Uint8Array;
  classNames?: string[];
  notes: string[];
}

const list = (names: string[], n = 5) => names.slice(0, n).join(', ') + (names.length > n ? `, … (${names.length - n} more)` : '');

/** `items` in the order the images will be stored (sorted by path). */
export function layoutImages(items: ImageItem[], where: string): ImageLayout {
  if (items.length === 0) throw new Error(`${where} holds no PNG or JPEG images`);
  const notes: string[] = [];
  const sizes = new Map<string, number>();
  for (const it of items) {
    const k = `${it.header.width}×${it.header.height}`;
    sizes.set(k, (sizes.get(k) ?? 0) + 1);
  }
  if (sizes.size > 1) {
    const [common, n] = [...sizes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    const odd = items.filter((it) => `${it.header.width}×${it.header.height}` !== common).map((it) => `${it.path} (${it.header.width}×${it.header.height})`);
    throw new Error(`${where}: images of different sizes: ${n} are ${common} but ${odd.length} ${odd.length === 1 ? 'is' : 'are'} not: ${list(odd)}; every image must have one size (resize or remove the odd ones)`);
  }
  const { width, height } = items[0]!.header;
  const colour = items.some((it) => it.header.channels === 3);
  const gray = items.filter((it) => it.header.channels === 1).length;
  if (colour && gray) notes.push(`${where}: ${gray} gray image${gray > 1 ? 's' : ''} among colour ones repeated into R, G and B`);
  const alpha = items.filter((it) => it.header.alpha).length;
  if (alpha) notes.push(`${where}: the alpha channel of ${alpha} image${alpha > 1 ? 's' : ''} dropped`);
  const deep = items.filter((it) => it.header.bitDepth > 8).length;
  if (deep) notes.push(`${where}: ${deep} image${deep > 1 ? 's' : ''} with more than 8 bits per sample reduced to 8 bits`);
  const shape = { height, width, channels: colour ? 3 : 1 };

  const nested = items.filter((it) => it.path.includes('/'));
  if (nested.length === 0) return { shape, notes };
  if (nested.length < items.length) {
    const top = items.filter((it) => !it.path.includes('/')).map((it) => it.path);
    throw new Error(`${where} holds both images in class folders (${list([...new Set(nested.map((it) => it.path.split('/')[0]! + '/'))], 3)}) and images outside any (${list(top, 3)}); put every image in a class folder, or none`);
  }
  const deeper = nested.filter((it) => it.path.split('/').length > 2).map((it) => it.path);
  if (deeper.length) throw new Error(`${where}: images more than one folder down (${list(deeper, 3)}); class folders hold their images directly`);
  const classNames = [...new Set(nested.map((it) => it.path.split('/')[0]!))].sort();
  if (classNames.length > MAX_CLASSES) throw new Error(`${where} has ${classNames.length} class folders; at most ${MAX_CLASSES} classes are supported`);
  const index = new Map(classNames.map((c, i) => [c, i]));
  const labels = Uint8Array.from(items, (it) => index.get(it.path.split('/')[0]!)!);
  return { shape, labels, classNames, notes };
}
