import { ContextMenu as P } from "radix-ui";
import type * as React from "react";
import { cn } from "@/lib/utils";
import { menuContentClass, menuItemClass } from "./dropdown-menu";
import { usePortalContainer } from "./portal-container";

/** Right-click menu; on touch screens Radix opens it with a long press. */
export const ContextMenu = P.Root;
export const ContextMenuTrigger = P.Trigger;

export function ContextMenuContent({ className, ...props }: React.ComponentProps<typeof P.Content>) {
  return (
    <P.Portal container={usePortalContainer()}>
      <P.Content className={cn(menuContentClass, className)} {...props} />
    </P.Portal>
  );
}

export function ContextMenuItem({ className, variant, ...props }: React.ComponentProps<typeof P.Item> & { variant?: "destructive" }) {
  return <P.Item data-variant={variant} className={cn(menuItemClass, className)} {...props} />;
}

export function ContextMenuSeparator({ className, ...props }: React.ComponentProps<typeof P.Separator>) {
  return <P.Separator className={cn("-mx-1 my-1 h-px bg-border", className)} {...props} />;
}
