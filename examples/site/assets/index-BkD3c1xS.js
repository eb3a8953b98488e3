const __vite__mapDeps=(i,m=__vite__mapDeps,d=(m.f||(m.f=["assets/gallery-D4eF5gH6.js","assets/shared-Cx9aB2dE.js"])))=>i.map(i=>d[i]);
import{_ as a,t as n}from"./shared-Cx9aB2dE.js";n(document.querySelector(".site-header"));const o=document.querySelector(".open-gallery");o&&o.addEventListener("click",()=>{a(()=>import("./gallery-D4eF5gH6.js"),__vite__mapDeps([0,1])).then(e=>e.renderGallery(document.getElementById("gallery")))});
//# sourceMappingURL=index-BkD3c1xS.js.map
