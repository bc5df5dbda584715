import { describe, expect, it } from "vitest";
import { extractAccessToken } from "./auth-page.js";

const page = (body: string) =>
  `<!DOCTYPE html><html><head><title>Auth</title></head><body><h1>Your token</h1>${body}</body></html>`;

describe("extractAccessToken", () => {
  it("reads the trimmed text of pre#token", () => {
    expect(extractAccessToken(page('<pre id="token">\n   eyJ.abc.def  \n</pre>'))).toBe("eyJ.abc.def");
    expect(extractAccessToken("<PRE ID=token>tok</PRE>")).toBe("tok");
    expect(extractAccessToken("<pre class='x' id='token' data-x=\"1\">tok</pre>")).toBe("tok");
  });

  it("decodes entities and includes the text of nested inline elements", () => {
    expect(extractAccessToken('<pre id="token"> a<b>b<i>c</i></b>&amp;d&#x41;&lt; </pre>')).toBe("abc&dA<");
  });

  it("takes the first pre#token only", () => {
    expect(extractAccessToken('<pre id="token">first</pre><pre id="token">second</pre>')).toBe("first");
    expect(extractAccessToken('<pre id="token">  </pre><pre id="token">second</pre>')).toBeUndefined();
  });

  it("is not fooled by comments, scripts, styles, templates, attributes or look-alike elements", () => {
    const decoys = [
      '<!-- <pre id="token">comment</pre> -->',
      "<script>document.write('<pre id=\"token\">script</pre>')</script>",
      '<style>/* <pre id="token">style</pre> */</style>',
      '<template><pre id="token">template</pre></template>',
      '<pre id="token2">token2</pre>',
      '<div id="token">div</div>',
      '<pre class="token">class</pre>',
      '<pre data-id="token">data</pre>',
      '<pre id="Token">case</pre>',
      '<pre id=" token">space</pre>',
      "<a title='<pre id=\"token\">attr</pre>'>link</a>",
      '<textarea><pre id="token">textarea</pre></textarea>',
      '<![CDATA[<pre id="token">cdata</pre>]]>',
    ].join("\n");
    expect(extractAccessToken(page(decoys))).toBeUndefined();
    expect(extractAccessToken(page(`${decoys}<pre id="token">real</pre>`))).toBe("real");
  });

  it("leaves out comments, scripts, styles and templates inside the element", () => {
    const html =
      '<pre id="token">re<!-- x --><script>var s = "</pre>";</script>a<style>p{}</style>' +
      "<template>t</template>l<span><template><b>u</b></template>!</span></pre>";
    expect(extractAccessToken(html)).toBe("real!");
  });

  it("ends the element at its own closing tag, with nested elements of the same name", () => {
    expect(extractAccessToken('<pre id="token">a<pre>b</pre>c</pre>after')).toBe("abc");
    expect(extractAccessToken('<pre id="token">abc')).toBe("abc");
  });

  it("returns undefined without the element or with empty text", () => {
    expect(extractAccessToken("")).toBeUndefined();
    expect(extractAccessToken(page("<p>no token here</p>"))).toBeUndefined();
    expect(extractAccessToken('<pre id="token"></pre>')).toBeUndefined();
    expect(extractAccessToken('<pre id="token"> \n\t<b> </b></pre>')).toBeUndefined();
    expect(extractAccessToken('<pre id="token"><!-- only a comment --></pre>')).toBeUndefined();
  });
});
