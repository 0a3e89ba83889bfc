//! Controls described by cell code, as the ipywidgets-8 models that JupyterLab's widget manager
//! (`jupyterlab_widgets` 3.x) renders: `@jupyter-widgets/controls` 2.0.0 and
//! `@jupyter-widgets/base` 2.0.0, widget protocol 2.1.
//!
//! Cell code names each control abstractly (`{"kind": "float_slider", "name": "loss", …}`); this
//! module chooses the models, their layout and style models, and the box that holds them. The
//! front end fills in every attribute a state leaves out with the model's default.

use serde_json::{json, Value};

const CONTROLS: &str = "@jupyter-widgets/controls";
const BASE: &str = "@jupyter-widgets/base";
/// Both model modules' version in ipywidgets 8.
const MODULE_VERSION: &str = "2.0.0";
/// Sent as comm_open metadata.
pub const PROTOCOL_VERSION: &str = "2.1.0";

/// A model to open: its comm id and full state.
pub struct Model {
    pub id: String,
    pub state: Value,
}

/// A control's value as seen by cell code: the parameter `name`, carried by the state key
/// `key` (`value`, or `index` for choices) of the comm `id`.
pub struct Binding {
    pub id: String,
    pub name: String,
    pub key: &'static str,
}

/// Everything one interactive output needs: models in the order they must be opened (those a
/// state refers to come first), the box to display, and how values map to names.
pub struct Widgets {
    pub models: Vec<Model>,
    pub root: String,
    pub bindings: Vec<Binding>,
}

/// Builds the models for `controls` (the `controls` array cell code sent), or says which
/// control is not understood. `new_id` makes comm ids.
pub fn build(controls: &[Value], mut new_id: impl FnMut() -> String) -> Result<Widgets, String> {
    let mut out = Widgets {
        models: Vec::new(),
        root: String::new(),
        bindings: Vec::new(),
    };
    let mut children = Vec::new();
    for control in controls {
        let name = control["name"]
            .as_str()
            .ok_or_else(|| format!("a control has no name: {control}"))?
            .to_owned();
        let kind = control["kind"].as_str().unwrap_or_default();
        let (model, key, mut attributes) = attributes(kind, control)
            .ok_or_else(|| format!("control `{name}` has an unknown kind `{kind}`"))?;
        attributes["description"] = name.clone().into();
        let id = dom_widget(&mut out, &mut new_id, model, style_of(model), attributes);
        out.bindings.push(Binding {
            id: id.clone(),
            name: name.clone(),
            key,
        });
        if model != "PlayModel" {
            children.push(id);
            continue;
        }
        // A player is a play button driving a step slider, linked in the browser.
        let mut slider = attributes_of_slider(control, "IntSliderModel");
        slider["description"] = "".into();
        let slider_id = dom_widget(
            &mut out,
            &mut new_id,
            "IntSliderModel",
            "SliderStyleModel",
            slider,
        );
        out.bindings.push(Binding {
            id: slider_id.clone(),
            name,
            key: "value",
        });
        let link = json!({
            "source": [reference(&id), "value"],
            "target": [reference(&slider_id), "value"],
        });
        out.models.push(Model {
            id: new_id(),
            state: with_header(link, CONTROLS, "LinkModel", None),
        });
        let row = json!({ "children": [reference(&id), reference(&slider_id)] });
        children.push(dom_widget_without_style(
            &mut out,
            &mut new_id,
            "HBoxModel",
            row,
        ));
    }
    let column = json!({ "children": children.iter().map(|c| reference(c)).collect::<Vec<_>>() });
    out.root = dom_widget_without_style(&mut out, &mut new_id, "VBoxModel", column);
    Ok(out)
}

/// The model, the key holding its value, and its attributes, for one kind of control.
fn attributes(kind: &str, control: &Value) -> Option<(&'static str, &'static str, Value)> {
    let options = || {
        json!({
            "_options_labels": control["labels"],
            "index": control["index"],
        })
    };
    Some(match kind {
        "float_slider" => (
            "FloatSliderModel",
            "value",
            attributes_of_slider(control, "FloatSliderModel"),
        ),
        "int_slider" => (
            "IntSliderModel",
            "value",
            attributes_of_slider(control, "IntSliderModel"),
        ),
        "dropdown" => ("DropdownModel", "index", options()),
        "toggles" => ("ToggleButtonsModel", "index", options()),
        "checkbox" => (
            "CheckboxModel",
            "value",
            json!({ "value": control["value"], "indent": false }),
        ),
        "int_text" => (
            "IntTextModel",
            "value",
            json!({ "value": control["value"], "step": 1, "continuous_update": false }),
        ),
        "play" => (
            "PlayModel",
            "value",
            json!({
                "value": control["value"], "min": control["min"], "max": control["max"],
                "step": 1, "interval": control["interval"], "show_repeat": false,
            }),
        ),
        _ => return None,
    })
}

fn attributes_of_slider(control: &Value, model: &str) -> Value {
    let format = if model == "FloatSliderModel" {
        // Enough digits to tell neighbouring steps apart.
        let step = control["step"].as_f64().unwrap_or(0.01);
        let digits = (-step.log10()).ceil().clamp(0.0, 6.0) as usize;
        format!(".{digits}f")
    } else {
        "d".to_owned()
    };
    json!({
        "value": control["value"], "min": control["min"], "max": control["max"],
        "step": control["step"], "readout_format": format, "continuous_update": true,
    })
}

/// The style model each control's view reads.
fn style_of(model: &str) -> &'static str {
    match model {
        "FloatSliderModel" | "IntSliderModel" => "SliderStyleModel",
        "ToggleButtonsModel" => "ToggleButtonsStyleModel",
        "CheckboxModel" => "CheckboxStyleModel",
        _ => "DescriptionStyleModel",
    }
}

/// Opens a layout, a style and the widget itself; returns the widget's id.
fn dom_widget(
    out: &mut Widgets,
    new_id: &mut impl FnMut() -> String,
    model: &str,
    style: &str,
    mut attributes: Value,
) -> String {
    let style_id = new_id();
    let style_state = json!({ "description_width": "initial" });
    out.models.push(Model {
        id: style_id.clone(),
        state: with_header(style_state, CONTROLS, style, Some((BASE, "StyleView"))),
    });
    attributes["style"] = reference(&style_id).into();
    dom_widget_without_style(out, new_id, model, attributes)
}

/// Opens a layout and the widget (boxes have no style); returns the widget's id.
fn dom_widget_without_style(
    out: &mut Widgets,
    new_id: &mut impl FnMut() -> String,
    model: &str,
    mut attributes: Value,
) -> String {
    let layout_id = new_id();
    out.models.push(Model {
        id: layout_id.clone(),
        state: with_header(json!({}), BASE, "LayoutModel", Some((BASE, "LayoutView"))),
    });
    attributes["layout"] = reference(&layout_id).into();
    let id = new_id();
    let view = model.replace("Model", "View");
    out.models.push(Model {
        id: id.clone(),
        state: with_header(attributes, CONTROLS, model, Some((CONTROLS, &view))),
    });
    id
}

/// Adds the `_model_*` and `_view_*` keys every widget state carries.
fn with_header(
    mut attributes: Value,
    module: &str,
    model: &str,
    view: Option<(&str, &str)>,
) -> Value {
    let (view_module, view_name) = match view {
        Some((module, name)) => (Value::from(module), Value::from(name)),
        None => (Value::Null, Value::Null),
    };
    let header = json!({
        "_model_module": module,
        "_model_module_version": MODULE_VERSION,
        "_model_name": model,
        "_view_module": view_module,
        "_view_module_version": MODULE_VERSION,
        "_view_name": view_name,
    });
    for (key, value) in header.as_object().into_iter().flatten() {
        attributes[key] = value.clone();
    }
    attributes
}

/// How one model's state refers to another.
fn reference(id: &str) -> String {
    format!("IPY_MODEL_{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> impl FnMut() -> String {
        let mut n = 0;
        move || {
            n += 1;
            format!("m{n}")
        }
    }

    #[test]
    fn a_slider_comes_with_its_layout_and_style_inside_a_box() {
        let control = json!({"kind": "float_slider", "name": "loss", "value": 0.1,
                             "min": 0.0, "max": 0.5, "step": 0.01});
        let widgets = build(&[control], ids()).unwrap();
        let names: Vec<&str> = widgets
            .models
            .iter()
            .map(|m| m.state["_model_name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "SliderStyleModel",
                "LayoutModel",
                "FloatSliderModel",
                "LayoutModel",
                "VBoxModel"
            ]
        );
        let slider = &widgets.models[2].state;
        assert_eq!(slider["_view_name"], "FloatSliderView");
        assert_eq!(slider["_model_module_version"], "2.0.0");
        assert_eq!(slider["style"], "IPY_MODEL_m1");
        assert_eq!(slider["readout_format"], ".2f");
        assert_eq!(widgets.root, "m5");
        assert_eq!(widgets.models[4].state["children"], json!(["IPY_MODEL_m3"]));
        assert_eq!(widgets.bindings[0].name, "loss");
    }

    #[test]
    fn every_model_is_opened_after_the_models_it_refers_to() {
        let controls = [
            json!({"kind": "play", "name": "step", "value": 0, "min": 0, "max": 9, "interval": 300}),
            json!({"kind": "dropdown", "name": "order", "labels": ["a", "b"], "index": 1}),
            json!({"kind": "checkbox", "name": "fifo", "value": true}),
        ];
        let widgets = build(&controls, ids()).unwrap();
        let mut opened = Vec::new();
        for model in &widgets.models {
            let text = model.state.to_string();
            for earlier in text.split("IPY_MODEL_").skip(1) {
                let id: String = earlier
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect();
                assert!(
                    opened.contains(&id),
                    "{} refers to {id} before it is open",
                    model.id
                );
            }
            opened.push(model.id.clone());
        }
        let bound: Vec<(&str, &str)> = widgets
            .bindings
            .iter()
            .map(|b| (b.name.as_str(), b.key))
            .collect();
        assert_eq!(
            bound,
            [
                ("step", "value"),
                ("step", "value"),
                ("order", "index"),
                ("fifo", "value")
            ]
        );
    }

    #[test]
    fn unknown_controls_are_named() {
        let error = build(&[json!({"kind": "knob", "name": "k"})], ids()).err();
        assert_eq!(
            error.as_deref(),
            Some("control `k` has an unknown kind `knob`")
        );
    }
}
