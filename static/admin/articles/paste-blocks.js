// A rich-text editor extension: pasted HTML that starts with a heading stays a heading.
// ProseMirror pastes a slice "open" at its start, so at the end of a paragraph the heading's
// text joined that paragraph. Closing the slice's start makes its first block a block of its own.
import { Extension, Plugin } from "django-prose-editor/editor";

export const PasteBlocks = Extension.create({
  name: "pasteBlocks",
  addProseMirrorPlugins() {
    return [
      new Plugin({
        props: {
          transformPasted(slice) {
            const first = slice.content.firstChild;
            if (slice.openStart > 0 && first && first.type.name === "heading") {
              return new slice.constructor(slice.content, 0, slice.openEnd);
            }
            return slice;
          },
        },
      }),
    ];
  },
});
