/**
 * Colour that can be switched off: NO_COLOR (https://no-color.org) turns every
 * colour into plain text; bold, dim and inverse stay, and every status also has
 * a word and a mark, so nothing is told by colour alone.
 */
import { createContext, useContext, type ReactNode } from "react";
import { Text, type TextProps } from "ink";

export interface Theme {
  colour: boolean;
}

export const ThemeContext = createContext<Theme>({ colour: true });

export function themeFromEnv(env: NodeJS.ProcessEnv = process.env): Theme {
  return { colour: env.NO_COLOR === undefined || env.NO_COLOR === "" };
}

/** ink's Text, whose `color` and `backgroundColor` are dropped when colour is off. */
export function T(props: TextProps & { children?: ReactNode }) {
  const { colour } = useContext(ThemeContext);
  if (colour) return <Text {...props} />;
  const { color: _c, backgroundColor: _b, ...rest } = props;
  return <Text {...rest} />;
}
