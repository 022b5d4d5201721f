// The admin fills the slug from the headline with Django's URLify, which drops "+", "/" and "&"
// outright ("2+2" became "22"). Treat them as word breaks instead: "2+2" gives "2-2".
"use strict";
{
  const urlify = window.URLify;
  if (urlify) {
    window.URLify = (text, maxLength, allowUnicode) =>
      urlify(text.replace(/[+/&@=]/g, " "), maxLength, allowUnicode);
  }
}
