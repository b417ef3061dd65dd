let nestParent;

export function initialize({ parentURL }) {
  nestParent = parentURL;
}

export function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@nestjs/')) return nextResolve(specifier, { ...context, parentURL: nestParent });
  return nextResolve(specifier, context);
}
